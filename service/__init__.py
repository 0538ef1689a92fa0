"""hospital-alerts: raise, route, escalate and audit staff alerts across many hospitals."""

__version__ = "0.1.0"
