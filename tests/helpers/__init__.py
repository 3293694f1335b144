"""What the tests share, apart from fixtures (those stay in the conftest files).

A test module imports helpers from here, never from a conftest or another test module.
"""
