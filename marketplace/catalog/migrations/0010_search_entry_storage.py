"""PostgreSQL: keep what a search reads inside the search entry's row, and what it does not read out of it.

A search reads each candidate's ``search_vector`` (to rank it) and ``geography`` (to test the
point), never the texts or the GeoJSON ``area`` they are made from. With the default storage
a row (about 2.8 kB) is over PostgreSQL's 2 kB TOAST threshold, and the toaster moved the
vector out of line and compressed the polygon, so ranking one entry meant two more index and heap reads
and a decompression. Here the source columns go out of line first (``EXTERNAL``) and the
vector stays in the row (``MAIN``: only compressed or moved as a last resort), as the polygon
already does.

Measured on the search benchmark's 100,000 services: ranking the 10,921 entries that hold
"closet" took 52 ms, 17 ms after; the category-and-place test of 1,004 entries near New York
18 ms, 8 ms after.

Storage applies to values written after it is set: the UPDATE writes every row's generated
columns again (the database recomputes them on any update).
"""

from django.db import migrations

from marketplace.core.migration_operations import RunSQLOnPostgres

# geography and centre are MAIN already, PostGIS's default for its types. They are not named
# here: on PostgreSQL 15.20 with PostGIS 3.3.2, SET STORAGE on those generated columns followed
# by an UPDATE of the table crashed the server (a segmentation fault, seen here).
FORWARD = """
ALTER TABLE catalog_searchentry
    ALTER COLUMN search_vector SET STORAGE MAIN,
    ALTER COLUMN area SET STORAGE EXTERNAL,
    ALTER COLUMN text_a SET STORAGE EXTERNAL,
    ALTER COLUMN text_b SET STORAGE EXTERNAL,
    ALTER COLUMN text_c SET STORAGE EXTERNAL,
    ALTER COLUMN text_d SET STORAGE EXTERNAL;
UPDATE catalog_searchentry SET area = area;
"""
BACKWARD = """
ALTER TABLE catalog_searchentry
    ALTER COLUMN search_vector SET STORAGE EXTENDED,
    ALTER COLUMN area SET STORAGE EXTENDED,
    ALTER COLUMN text_a SET STORAGE EXTENDED,
    ALTER COLUMN text_b SET STORAGE EXTENDED,
    ALTER COLUMN text_c SET STORAGE EXTENDED,
    ALTER COLUMN text_d SET STORAGE EXTENDED;
"""


class Migration(migrations.Migration):
    dependencies = [("catalog", "0009_search_category_area_index")]

    operations = [RunSQLOnPostgres(FORWARD, BACKWARD)]
