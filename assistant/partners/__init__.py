"""Partner websites embedding the widget: keys, allowed origins and sources, rate limits."""

from assistant.partners.store import Partner, PartnerStore

__all__ = ["Partner", "PartnerStore"]
