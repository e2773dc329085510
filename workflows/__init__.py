"""State machines of the product, built with ``transitions`` and free of Flask."""
