"""BatchLab's engine: everything that works without a GUI (and never imports Qt)."""
