"""The Model step's reasoning-effort setting and model notes, read from the model registry."""

from __future__ import annotations

from app.core.keys import KeyStore
from app.ui.wizard.model_page import ModelPage


def test_effort_offers_what_the_model_accepts_and_defaults_to_the_lowest(qtbot, keys: KeyStore) -> None:  # noqa: ANN001
    page = ModelPage(keys)
    qtbot.addWidget(page)
    page.set_values("anthropic", "claude-sonnet-5-5")
    combo = page.request_settings.effort_combo
    assert combo.isEnabled() and page.reasoning_effort() is None
    assert "Lowest the model accepts (low)" in combo.itemText(0)
    assert [combo.itemData(i) for i in range(1, combo.count())] == ["low", "medium", "high", "xhigh", "max"]
    assert "JSON outputs" in page.model_chooser.rules_label.text() and "temperature" in page.model_chooser.rules_label.text()
    combo.setCurrentIndex(combo.findData("medium"))
    assert page.reasoning_effort() == "medium"
    page.set_values("openai", "gpt-4o-mini", reasoning_effort="medium")
    assert not page.request_settings.effort_combo.isEnabled() and page.reasoning_effort() is None
    page.set_values("openai", "gpt-5.4-mini", reasoning_effort="high")
    assert page.reasoning_effort() == "high" and "none" in page.request_settings.effort_combo.itemText(0)


def test_refreshed_model_list_leaves_out_models_that_cannot_code(qtbot, keys: KeyStore) -> None:  # noqa: ANN001
    page = ModelPage(keys)
    qtbot.addWidget(page)
    page.set_values("openai", "gpt-5.4-mini")
    loader = page.model_chooser.loader
    loader._arrived(loader._generation, ["gpt-5.4-mini", "text-embedding-3-large", "whisper-1", "gpt-4.1"])
    combo = page.model_chooser.combo
    assert [combo.itemText(i) for i in range(combo.count())] == ["gpt-5.4-mini", "gpt-4.1"]


def test_the_endpoint_setting_shows_for_openai_only(qtbot, keys: KeyStore) -> None:  # noqa: ANN001
    page = ModelPage(keys)
    qtbot.addWidget(page)
    for provider, shown in (("openai", True), ("demo", False), ("anthropic", False), ("compatible", False)):
        page.provider_combo.setCurrentIndex(page.provider_combo.findData(provider))
        assert page.advanced.toggle.isVisibleTo(page) is shown, provider
    page.provider_combo.setCurrentIndex(page.provider_combo.findData("openai"))
    page.advanced.toggle.setChecked(True)
    assert page.advanced.group.isVisibleTo(page)
    page.provider_combo.setCurrentIndex(page.provider_combo.findData("demo"))
    assert not page.advanced.group.isVisibleTo(page)
