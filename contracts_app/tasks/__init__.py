"""Tasks the provider is asked to do, and whether the scope covers them."""
