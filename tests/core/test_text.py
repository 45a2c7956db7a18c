import pytest

from marketplace.core.text import data_size


@pytest.mark.parametrize(
    ("size", "words"),
    [
        (2_621_440, "2.5 MB"),
        (25 * 1024 * 1024, "25 MB"),
        (1024 * 1024, "1 MB"),
        (512 * 1024, "512 KB"),
        (100, "100 bytes"),
    ],
)
def test_a_data_size_reads_as_people_say_it(size, words):
    assert data_size(size) == words
