from __future__ import annotations

import gc
import weakref

from contracts_app.heap import older_objects_set_aside


class Node:
    pass


def test_older_objects_are_left_out_of_collections_only_while_the_body_runs():
    before = gc.get_freeze_count()
    with older_objects_set_aside():
        assert gc.get_freeze_count() > before
    assert gc.get_freeze_count() == 0


def test_cycles_made_inside_are_still_collected():
    with older_objects_set_aside():
        node = Node()
        node.self = node  # a cycle: only the cyclic collector frees it
        alive = weakref.ref(node)
        del node
        gc.collect()
        assert alive() is None


def test_an_error_inside_puts_the_older_objects_back():
    try:
        with older_objects_set_aside():
            raise ValueError("refused")
    except ValueError:
        pass
    assert gc.get_freeze_count() == 0
