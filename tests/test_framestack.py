"""framestack.call: calls going back and forth across the end of a chunk of the frame stack do not map
fresh memory on each crossing (CPython gh-142183), and the call is otherwise the function's own."""

import resource
import sys

import pytest

from pubpipe.orchestrate import framestack


def _leaf():
    return 1


# A frame bigger than a chunk of the stack (16 KB): without room each call maps a chunk for it alone
_leaf.__code__ = _leaf.__code__.replace(co_stacksize=4096)


def _calls(count: int) -> int:
    return sum(_leaf() for _ in range(count))


def _faults(function, *args) -> int:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    function(*args)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


def test_the_call_is_the_function_s_own():
    assert framestack.call(lambda a, b=0: (a, b), 1, b=2) == (1, 2)
    with pytest.raises(ZeroDivisionError):
        framestack.call(lambda: 1 / 0)
    wrapped = framestack.roomy(_calls)
    assert wrapped.__name__ == "_calls" and wrapped.__wrapped__ is _calls
    assert wrapped(5) == 5


@pytest.mark.skipif(sys.platform != "linux", reason="page faults counted as Linux counts them")
def test_no_fresh_memory_at_a_chunk_s_end():
    calls = 2000
    plain = min(_faults(_calls, calls) for _ in range(2))
    if plain < calls:
        pytest.skip(f"this interpreter keeps its frame chunks ({plain} page faults without framestack)")
    roomy = min(_faults(framestack.call, _calls, calls) for _ in range(2))
    assert roomy < plain / 10, (plain, roomy)
