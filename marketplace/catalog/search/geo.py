"""Service areas as polygons, and distances on the sphere: the same arithmetic for every engine.

An organizer's area is their own GeoJSON polygon, or the circle of their radius around the
centre they named. The circle is stored as a polygon of ``CIRCLE_SIDES`` sides whose corners
lie on the circle (worked out here, once, when the service is indexed), so PostGIS, shapely
and OpenSearch all test a point against the very same shape and give the same answers. Its
sides cut inside the true circle by at most r(1 - cos(pi/n)): 30 m at 25 km.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The mean radius of the Earth in metres: PostGIS's sphere (ST_Distance with use_spheroid false).
EARTH_RADIUS_M = 6_371_008.7714
CIRCLE_SIDES = 64


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Box:
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float

    def covers(self, point: Point) -> bool:
        return (
            self.min_latitude <= point.latitude <= self.max_latitude
            and self.min_longitude <= point.longitude <= self.max_longitude
        )


def distance_m(a: Point, b: Point) -> float:
    """Great-circle distance in metres (haversine), as PostGIS measures on its sphere."""
    lat1, lat2 = math.radians(a.latitude), math.radians(b.latitude)
    dlat, dlon = lat2 - lat1, math.radians(b.longitude - a.longitude)
    h = math.sin(dlat / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _destination(centre: Point, bearing: float, metres: float) -> tuple[float, float]:
    """[lon, lat] reached from ``centre`` going ``metres`` along ``bearing`` (radians) on the sphere."""
    lat1, lon1 = math.radians(centre.latitude), math.radians(centre.longitude)
    angle = metres / EARTH_RADIUS_M
    lat2 = math.asin(math.sin(lat1) * math.cos(angle) + math.cos(lat1) * math.sin(angle) * math.cos(bearing))
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angle) * math.cos(lat1), math.cos(angle) - math.sin(lat1) * math.sin(lat2)
    )
    return [round(math.degrees(lon2), 6), round(math.degrees(lat2), 6)]


def circle(centre: Point, radius_km: float) -> dict:
    """The circle of ``radius_km`` around ``centre`` as a GeoJSON Polygon (counter-clockwise, closed)."""
    ring = [_destination(centre, -2 * math.pi * i / CIRCLE_SIDES, radius_km * 1000) for i in range(CIRCLE_SIDES)]
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def _points(geojson: dict):
    polygons = [geojson["coordinates"]] if geojson["type"] == "Polygon" else geojson["coordinates"]
    for polygon in polygons:
        for ring in polygon:
            yield from ring


def bounding_box(geojson: dict) -> Box:
    """The smallest latitude/longitude box holding every corner of the polygon."""
    lons, lats = zip(*((p[0], p[1]) for p in _points(geojson)), strict=True)
    return Box(min(lats), max(lats), min(lons), max(lons))


def covers(geojson: dict, point: Point) -> bool:
    """Whether the polygon covers the point (edges included): the embedded default's exact check."""
    from shapely.geometry import Point as ShapelyPoint
    from shapely.geometry import shape

    return shape(geojson).covers(ShapelyPoint(point.longitude, point.latitude))
