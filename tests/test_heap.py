from __future__ import annotations

import gc
import weakref

import pytest

from contracts_app.heap import cyclic_collection_paused


class Node:
    pass


def test_collection_is_paused_only_while_the_body_runs():
    assert gc.isenabled()
    with cyclic_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_cycles_made_inside_are_collected_after_it():
    with cyclic_collection_paused():
        node = Node()
        node.self = node  # a cycle: only the cyclic collector frees it
        alive = weakref.ref(node)
        del node
    assert alive() is not None, "left for the collector"
    gc.collect()
    assert alive() is None


def test_an_error_inside_resumes_collection():
    with pytest.raises(ValueError), cyclic_collection_paused():
        raise ValueError("refused")
    assert gc.isenabled()


def test_a_pause_inside_a_pause_leaves_collection_off_until_the_outer_one_ends():
    with cyclic_collection_paused():
        with cyclic_collection_paused():
            pass
        assert not gc.isenabled()
    assert gc.isenabled()
