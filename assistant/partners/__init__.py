"""Partner websites embedding the widget: keys, allowed origins and sources, rate limits (the
records and limiters; the HTTP guard that applies them is assistant/api/partner_guard.py)."""

from assistant.partners.store import Partner, PartnerStore

__all__ = ["Partner", "PartnerStore"]
