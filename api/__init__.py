"""The HTTP service: FastAPI routers per user group over ``matcher.service``."""
