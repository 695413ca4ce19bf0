"""Mock core business system (基幹システム, 児童手当) that renkei keys applications into."""

from .app import create_app

__all__ = ["create_app"]
