"""Qt widgets of Hello Studio; imported only by the view and card factories."""
