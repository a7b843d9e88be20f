"""BatchLab's Qt layer: shows state and sends intents; all real work lives in app.core."""
