"""The HTTP server layer below the app: what uvicorn's protocol must refuse before routing."""
