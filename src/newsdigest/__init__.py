"""newsdigest: monitor Chinese regional news and turn it into a weekly digest."""

__version__ = "0.1.0"
