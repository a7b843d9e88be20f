"""Reaching the providers: the right SDK client, key and adapter for a job's provider."""

from __future__ import annotations

from app.core.errors import ProviderError
from app.core.keys import KeyStore
from app.core.build.pricing import default_models
from app.core.run.providers.base import BatchProvider, BatchStatus, refuse_long_waits
from app.core.build.requests import OPENAI_URLS

__all__ = ["BatchProvider", "BatchStatus", "retry_settings", "connect", "key_account", "list_models", "test_connection", "LABELS"]

LABELS = {"openai": "OpenAI", "anthropic": "Anthropic", "compatible": "OpenAI-compatible server", "demo": "Demo"}
#: The SDKs retry connection errors, 408/409/429 and 5xx this many times, honouring retry-after
#: up to a minute (longer waits go back to the engine). Calls that create a batch never retry.
MAX_RETRIES = 3


def retry_settings(sdk: object) -> dict[str, object]:
    """Client arguments: the retry count, and an HTTP client that refuses to wait out long retry-afters."""
    http_client = sdk.DefaultHttpxClient(event_hooks={"response": [refuse_long_waits]})  # type: ignore[attr-defined]
    return {"max_retries": MAX_RETRIES, "http_client": http_client}


def key_account(provider: str, base_url: str | None = None) -> str | None:
    """The key store account holding this provider's key (None: the demo needs none)."""
    if provider == "demo":
        return None
    if provider == "compatible":
        return f"compatible:{base_url}"
    return provider


def connect(
    provider: str, keys: KeyStore, *, base_url: str | None = None, endpoint: str = "chat", timeout: float = 120.0
) -> BatchProvider:
    """An adapter for the provider, with its key from the key store (raises KeyMissingError).

    The SDKs are imported here, on first use: importing them takes seconds, which the app's and
    the command line's start-up should not pay.
    """
    if provider == "anthropic":
        import anthropic

        from app.core.run.providers.anthropic_batches import AnthropicBatches

        client = anthropic.Anthropic(
            api_key=keys.require("anthropic"), base_url=base_url, timeout=timeout, **retry_settings(anthropic)
        )
        return AnthropicBatches(client)
    import openai

    from app.core.run.providers.openai_batches import OpenAIBatches

    url = OPENAI_URLS["responses" if provider == "openai" and endpoint == "responses" else "chat"]
    if provider == "demo":
        from app.core.run.providers.demo import DEMO_KEY, demo_service

        base_url, key = demo_service().openai_base_url, DEMO_KEY
    else:
        account = key_account(provider, base_url)
        assert account is not None
        key = keys.require(account)
    client = openai.OpenAI(api_key=key, base_url=base_url, timeout=timeout, **retry_settings(openai))
    return OpenAIBatches(client, url, LABELS[provider])


def list_models(provider: str, keys: KeyStore, base_url: str | None = None) -> list[str]:
    """Models the account can use, newest first where the provider says.

    A provider that cannot be asked, or lists none, raises ProviderError (KeyMissingError without
    a key) with the reason: the caller keeps BatchLab's own list and can say why.
    """
    if provider == "demo":
        return default_models("demo")
    found = connect(provider, keys, base_url=base_url, timeout=20).models()
    if not found:
        raise ProviderError(f"{LABELS.get(provider, provider)} listed no models for this key.")
    return found


def test_connection(provider: str, keys: KeyStore, base_url: str | None = None) -> str:
    """Check that the key works; a plain sentence on success, KeyMissingError/ProviderError otherwise."""
    adapter = connect(provider, keys, base_url=base_url, timeout=20)
    count = len(adapter.models())
    return f"Connected to {LABELS[provider]}: the key works ({count} models available)."
