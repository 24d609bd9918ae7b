"""The mapper strips a chained event's header by its length: exactly what `split` reads."""

import pytest

from services.eventstore.chain import GENESIS, MAGIC, MAGIC_V2, header_length, split

PLAIN = b'{"summary":"hc1: or hc2: in the data is data"}'


@pytest.mark.parametrize("state", [
    MAGIC + GENESIS.encode() + b"a" * 64 + PLAIN,
    MAGIC_V2 + GENESIS.encode() + b"b" * 64 + b"c" * 32 + PLAIN,
    PLAIN,
    MAGIC_V2 + b"too short for its header",
    MAGIC + b"too short for its header",
    b"",
])
def test_the_header_cut_is_the_one_split_reads(state):
    header = split(state)
    cut = header_length(state)
    assert state[cut:] == (header.plain if header else state)
    assert (cut == 0) == (header is None)
