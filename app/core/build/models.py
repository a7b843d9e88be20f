"""What each model family accepts and needs: the one registry every part of BatchLab reads.

The request builder, the estimate, the pilot and the simulated service all look a model up here
(:func:`rules_for`), so a rule is written once, as data, with the page it comes from. A model no
family matches gets its provider's most conservative rules and a note saying so; the preview
shows that note. Rules are per model, never per SDK version.

Sources are named next to each rule. "batch-apis.md" is BatchLab's own reference notes
(/shared/reference/batch-apis.md), cited where the search tools found no provider page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

#: Structured-output modes.
STRICT_SCHEMA = "strict_json_schema"  # OpenAI response_format / text.format json_schema, strict
JSON_OUTPUTS = "json_outputs"  # Anthropic output_config.format json_schema; answer in a text block
FORCED_TOOL = "forced_tool"  # Anthropic tool_choice {"type": "tool"}: only models without JSON outputs
PLAIN_SCHEMA = "json_schema"  # OpenAI-compatible servers: response_format json_schema as they accept it

#: Rough hidden reasoning tokens one coding request spends per effort level: only for the preview's
#: "expected extra output", never for a budget that could cut answers off. No provider publishes such
#: figures; these are BatchLab's own guesses for coding a short text, spaced as reported (dev.to
#: "Tuning Claude Haiku 5.5's effort setting": max uses about 14× the output tokens of low).
REASONING_TOKENS = {"none": 0, "minimal": 40, "low": 250, "medium": 600, "high": 1500, "xhigh": 2500, "max": 3500}
#: Output budget headroom per effort level, on top of the answer itself, so reasoning does not cut the
#: answer off: reasoning counts against the output limit, and a small budget can be spent on reasoning
#: alone, leaving an empty reply (you.com "Inference Router Reasoning"; OpenAI community "Limiting
#: maximum number of reasoning tokens"; anthropic SDK: "Thinking tokens count toward your max_tokens").
#: The figures are BatchLab's own, several times the expected reasoning above.
REASONING_HEADROOM = {"none": 0, "minimal": 1024, "low": 4096, "medium": 12000, "high": 25000, "xhigh": 48000,
                      "max": 64000}


@dataclass(frozen=True)
class SchemaLimits:
    """How large a structured-output schema the provider compiles (None: no published limit)."""

    max_properties: int | None = None
    max_depth: int | None = None
    max_enum_values: int | None = None  # all enum values in the schema together
    large_enum: int | None = None  # an enum with more values than this ...
    large_enum_chars: int | None = None  # ... may have at most this many characters in all its values
    #: JSON-schema keywords the mode does not accept; BatchLab moves them into the description and
    #: checks them itself when the answer comes back …
    unsupported_keywords: tuple[str, ...] = ()
    #: … and keywords accepted only up to a value (Anthropic: ``minItems`` 0 or 1).
    keyword_caps: tuple[tuple[str, int], ...] = ()

    def unsupported(self, keyword: str, value: object) -> bool:
        """Whether ``keyword: value`` has to leave the schema."""
        cap = dict(self.keyword_caps).get(keyword)
        if cap is not None:
            return isinstance(value, (int, float)) and value > cap
        return keyword in self.unsupported_keywords and not isinstance(value, (dict, list))


# OpenAI "Structured Outputs" guide, "Supported schemas" (quoted by artifactize-core's limits.rs on
# docs.rs): at most 5,000 object properties, 10 levels of nesting, 1,000 enum values in a schema,
# and an enum of more than 250 values may have at most 15,000 characters.
OPENAI_SCHEMA_LIMITS = SchemaLimits(5000, 10, 1000, 250, 15_000)
# Anthropic "Structured outputs", JSON Schema limitations (as listed by LangSchema's Anthropic converter
# and the claudex schema-limitations reference): numerical bounds, string lengths and array sizes are
# not supported; the SDKs move them into descriptions, as BatchLab does.
ANTHROPIC_JSON_LIMITS = SchemaLimits(
    unsupported_keywords=("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
                          "minLength", "maxLength", "maxItems"),
    keyword_caps=(("minItems", 1),),
)


@dataclass(frozen=True)
class ModelRules:
    """Everything BatchLab needs to know to send one model a request it accepts."""

    provider: str
    family: str
    structured: str
    #: Whether the model takes temperature/top_p, and why not when it does not (shown in the preview).
    sampling: bool = True
    no_sampling_reason: str = ""
    #: Set when the API version BatchLab sends has no sampling parameters for any model: why.
    api_drops_sampling: str = ""
    #: Reasoning-model rules (OpenAI): temperature only at this effort (gpt-5.1+: "none") …
    sampling_at_effort: str | None = None
    #: … and otherwise only this value, the default ("Only the default (1) value is supported", A.10).
    fixed_temperature: float | None = None
    #: Accepted effort values, lowest first; empty: no effort setting.
    efforts: tuple[str, ...] = ()
    #: The effort BatchLab sends by default (the lowest the model accepts) …
    default_effort: str | None = None
    #: … and the one the provider uses when a request names none (for the simulated service).
    provider_default_effort: str | None = None
    #: Anthropic: the ``thinking`` field sent at the lowest setting (None: leave it out) …
    lowest_thinking: dict[str, str] | None = None
    #: … and the ``thinking`` types the model accepts at all (None: every type).
    thinking_types: tuple[str, ...] | None = None
    #: Whether a request at BatchLab's lowest setting still thinks (hidden tokens billed as output).
    thinks_at_lowest: bool = False
    forced_tool: bool = True
    max_output: int | None = None
    context: int | None = None
    #: Multiply an offline token count by this for the model's own tokenizer.
    tokenizer_factor: float = 1.0
    #: Anthropic prompt caching: shortest prefix that is cached (tokens); None: not applicable.
    min_cacheable: int | None = None
    schema_limits: SchemaLimits = field(default_factory=SchemaLimits)
    #: Chat Completions: the output budget key ("max_completion_tokens" on OpenAI reasoning models).
    budget_key: str = "max_completion_tokens"
    #: Set for a model no family matched: what the preview says.
    unknown_note: str = ""

    @property
    def reasoning(self) -> bool:
        return bool(self.efforts)

    def accepts_temperature(self, temperature: float, effort: str | None) -> bool:
        """Whether this temperature may be sent at this effort."""
        if self.api_drops_sampling:
            return False
        return (
            self.sampling
            or (self.sampling_at_effort is not None and effort == self.sampling_at_effort)
            or temperature == self.fixed_temperature
        )

    def effective_effort(self, effort: str | None) -> str | None:
        """The effort a request runs at: the one sent, else the provider's own default."""
        return effort or self.provider_default_effort

    def expected_reasoning_tokens(self, effort: str | None) -> int:
        """Rough hidden tokens per request at this effort (0 where the model does not think)."""
        running = self.effective_effort(effort)
        if running is None or (self.efforts and running == self.efforts[0] and not self.thinks_at_lowest):
            return 0
        return REASONING_TOKENS.get(running, 0)


_DATE = r"(-\d{4}-\d{2}-\d{2})?"
_ADATE = r"(-\d{8}|-latest)?"
_GPT5_EFFORTS = ("minimal", "low", "medium", "high")
_GPT51_EFFORTS = ("none", "low", "medium", "high")
_GPT52_EFFORTS = ("none", "low", "medium", "high", "xhigh")
_O_EFFORTS = ("low", "medium", "high")
_CLAUDE_EFFORTS = ("low", "medium", "high", "xhigh", "max")  # anthropic SDK OutputConfigParam.effort
_NO_FIXED_TEMPERATURE = "is a reasoning model and only runs at its default temperature (1)"
_API_2026 = (
    "the Anthropic API version BatchLab sends (2026-10-21) has no temperature, top_p or top_k "
    "(batch-apis.md B.8, API versioning)"
)
_CLAUDE5_SAMPLING = (
    "rejects temperature, top_p and top_k (Anthropic, Claude Sonnet 5.5 / Haiku 5.5 migration guides)"
)

_OPENAI_BASE = ModelRules("openai", "", STRICT_SCHEMA, schema_limits=OPENAI_SCHEMA_LIMITS)
_OPENAI_REASONING = replace(_OPENAI_BASE, sampling=False, no_sampling_reason=_NO_FIXED_TEMPERATURE,
                            fixed_temperature=1.0)
_CLAUDE_BASE = ModelRules(
    "anthropic", "", JSON_OUTPUTS, api_drops_sampling=_API_2026, schema_limits=ANTHROPIC_JSON_LIMITS,
    budget_key="max_tokens",
)
# Claude 4.7 and later use the newer tokenizer: "the same text counts as about 30% more tokens than on
# Claude Haiku 4.5" (Anthropic, "What's new in Claude Haiku 5.5" / Haiku 5.5 overview).
_CLAUDE5 = replace(
    _CLAUDE_BASE, sampling=False, no_sampling_reason=_CLAUDE5_SAMPLING, api_drops_sampling="",
    efforts=_CLAUDE_EFFORTS, default_effort="low", provider_default_effort="medium",
    thinking_types=("adaptive",),
    forced_tool=False, max_output=128_000, context=1_000_000, tokenizer_factor=1.3, min_cacheable=512,
)

#: (pattern on the bare, lower-case model name, rules). The first match wins.
FAMILIES: list[tuple[re.Pattern[str], ModelRules]] = [
    (re.compile(p + "$"), rules)
    for p, rules in [
        # ---- OpenAI ------------------------------------------------------------------------------
        # Non-reasoning chat models: temperature accepted, no effort (batch-apis.md A.11; litellm#13781).
        (r"gpt-5(\.\d)?-chat-latest", replace(_OPENAI_BASE, family="GPT-5 chat", max_output=16_384,
                                               context=128_000)),
        (r"gpt-4o-2024-05-13", replace(_OPENAI_BASE, family="GPT-4o", max_output=4_096, context=128_000)),
        (r"gpt-4o(-mini)?" + _DATE, replace(_OPENAI_BASE, family="GPT-4o", max_output=16_384, context=128_000)),
        (r"gpt-4\.1(-mini|-nano)?" + _DATE, replace(_OPENAI_BASE, family="GPT-4.1", max_output=32_768,
                                                   context=1_047_576)),
        # o-series: low/medium/high, no temperature, max_completion_tokens only (openai-tools docs.rs
        # ReasoningEffort "o1, o3, o4 series: low, medium, high"; batch-apis.md A.10/A.11).
        (r"(o1|o3|o3-mini|o4-mini)" + _DATE, replace(_OPENAI_REASONING, family="o-series", efforts=_O_EFFORTS,
                                                     default_effort="low", provider_default_effort="medium", thinks_at_lowest=True,
                                                     max_output=100_000, context=200_000)),
        # gpt-5 / -mini / -nano: "All models before gpt-5.1 default to medium and do not support none";
        # minimal is the lowest (OpenAI ReasoningEffort docs, mirrored on learn.microsoft.com).
        (r"gpt-5(-mini|-nano)?" + _DATE, replace(_OPENAI_REASONING, family="GPT-5", efforts=_GPT5_EFFORTS,
                                                 default_effort="minimal", provider_default_effort="medium", thinks_at_lowest=True,
                                                 max_output=128_000, context=400_000)),
        # gpt-5.1: none, low, medium, high; temperature allowed at effort none (same page; vercel/ai#10932).
        (r"gpt-5\.1" + _DATE, replace(_OPENAI_REASONING, family="GPT-5.1", efforts=_GPT51_EFFORTS,
                                      default_effort="none", provider_default_effort="none", sampling_at_effort="none",
                                      max_output=128_000, context=400_000)),
        # gpt-5.2 … 5.x: none … xhigh (openai-tools docs.rs "GPT-5.2: none, low, medium, high, xhigh");
        # gpt-5.4 and gpt-5.4-mini: "Supported values are none, low, medium, high, and xhigh. The default
        # none" (replicate openai/gpt-5.4; anyfast gpt-5.4-mini guide); temperature at none (langchaingo
        # #1497 citing OpenAI "GPT-5.4 parameter compatibility").
        (r"gpt-5\.[2-9](-mini|-nano|-pro)?" + _DATE, replace(
            _OPENAI_REASONING, family="GPT-5.2+", efforts=_GPT52_EFFORTS, default_effort="none",
            provider_default_effort="none",
            sampling_at_effort="none", max_output=128_000)),
        # gpt-6 families: treated like gpt-5.1+ ("skip the temperature check when reasoning_effort is
        # none on gpt-5.1+", batch-apis.md Part D item 4); no provider page found for their effort list.
        (r"gpt-6(\.\d)?(-[a-z]+)?" + _DATE, replace(
            _OPENAI_REASONING, family="GPT-6", efforts=_GPT52_EFFORTS, default_effort="none",
            provider_default_effort="none",
            sampling_at_effort="none", max_output=128_000)),
        # ---- Anthropic ---------------------------------------------------------------------------
        # Claude 5.5: forced tool choice, thinking {"type": "disabled"}, thinking budgets and sampling
        # parameters return 400 (Anthropic, "Claude Sonnet 5.5 migration guide"); thinking is on by
        # default; Sonnet 5.5 turns up-front thinking off with {"type": "between_tools"} (Sonnet 5.5
        # overview); Opus 5.5 "Adaptive (always on)"; Haiku 5.5 adaptive, effort low … max (Haiku 5.5
        # overview, apidog "How to use the Claude Haiku 5.5 API"). Minimum cacheable prompt 512
        # (batch-apis.md B.7). Max output 128K, context 1M (model overviews).
        (r"claude-sonnet-5-5" + _ADATE, replace(_CLAUDE5, family="Claude Sonnet 5.5",
                                              lowest_thinking={"type": "between_tools"},
                                              provider_default_effort="high",
                                              thinking_types=("adaptive", "between_tools"))),
        (r"claude-opus-5-5" + _ADATE, replace(_CLAUDE5, family="Claude Opus 5.5", thinks_at_lowest=True)),
        (r"claude-haiku-5-5" + _ADATE, replace(_CLAUDE5, family="Claude Haiku 5.5", thinks_at_lowest=True)),
        # Other Claude 5.x (Fable, Mythos, Opus/Sonnet 5): same 5.x rules, thinking left to the model;
        # 512-token cache minimum for Opus 5/Fable 5/Mythos 5, 1,024 for Sonnet 5 (dev.to "Claude's
        # prompt cache fails silently below 1,024 tokens", quoting Anthropic's prompt-caching page).
        (r"claude-sonnet-5" + _ADATE, replace(_CLAUDE5, family="Claude Sonnet 5", thinks_at_lowest=True,
                                            min_cacheable=1024)),
        (r"claude-(opus|fable|mythos)-5(-\d)?" + _ADATE, replace(_CLAUDE5, family="Claude 5.x",
                                                                thinks_at_lowest=True)),
        # Claude 4.x: JSON outputs are generally available on Opus 4.6, Sonnet 4.6, Sonnet 4.5, Opus 4.5 and
        # Haiku 4.5 (Anthropic "Structured outputs"); thinking stays off when the field is left out.
        # Cache minimums: 4,096 Opus 4.6/4.5 and Haiku 4.5; 1,024 Sonnet 4.6/4.5 and Opus 4.8; 2,048
        # Opus 4.7 (Anthropic prompt-caching page as quoted in anthropic-sdk-python#1194 and dev.to).
        (r"claude-haiku-4-5" + _ADATE, replace(_CLAUDE_BASE, family="Claude Haiku 4.5", max_output=64_000,
                                             context=200_000, min_cacheable=4096)),
        (r"claude-sonnet-4-[56]" + _ADATE, replace(_CLAUDE_BASE, family="Claude Sonnet 4.5/4.6",
                                                 max_output=64_000, context=1_000_000, min_cacheable=1024)),
        (r"claude-opus-4-[56]" + _ADATE, replace(_CLAUDE_BASE, family="Claude Opus 4.5/4.6", max_output=64_000,
                                               context=1_000_000, min_cacheable=4096)),
        (r"claude-opus-4-7" + _ADATE, replace(_CLAUDE_BASE, family="Claude Opus 4.7", max_output=128_000,
                                            context=1_000_000, tokenizer_factor=1.3, min_cacheable=2048)),
        (r"claude-opus-4-8" + _ADATE, replace(_CLAUDE_BASE, family="Claude Opus 4.8", max_output=128_000,
                                            context=1_000_000, tokenizer_factor=1.3, min_cacheable=1024)),
        # Older Claude without JSON outputs: the forced tool (batch-apis.md B.7: "for models before the
        # Claude 5.5 family only").
        (r"claude-(sonnet|opus)-4(-0|-1)?" + _ADATE, replace(_CLAUDE_BASE, family="Claude 4", structured=FORCED_TOOL,
                                                           max_output=32_000, context=200_000, min_cacheable=1024,
                                                           schema_limits=SchemaLimits())),
        (r"claude-3-.*", replace(_CLAUDE_BASE, family="Claude 3", structured=FORCED_TOOL, max_output=8_192,
                                 context=200_000, min_cacheable=2048, schema_limits=SchemaLimits())),
    ]
]

#: A model no family matches: the provider's most conservative rules.
_UNKNOWN = {
    # An unknown OpenAI model may be a reasoning model: no temperature, max_completion_tokens, no effort
    # sent (every model accepts its own default), strict schema limits.
    "openai": replace(_OPENAI_REASONING, family="unknown OpenAI model",
                      no_sampling_reason="is not in BatchLab's list; its temperature is left at the default"),
    # An unknown Claude: JSON outputs, no forced tool, no sampling, no thinking field, 5.x tokenizer factor.
    "anthropic": replace(_CLAUDE5, family="unknown Claude model", efforts=(), default_effort=None,
                         provider_default_effort="high", thinks_at_lowest=True, max_output=None, context=None,
                         min_cacheable=4096),
    # OpenAI-compatible servers and the demo: plain JSON schema, max_tokens, no limits known.
    "compatible": ModelRules("compatible", "OpenAI-compatible server", PLAIN_SCHEMA, budget_key="max_tokens"),
    "demo": ModelRules("demo", "demo", STRICT_SCHEMA, budget_key="max_tokens"),
}


def _bare(model: str) -> str:
    """``azure/gpt-5.4-mini`` → ``gpt-5.4-mini``: the name a family pattern matches."""
    return model.rsplit("/", 1)[-1].strip().lower()


def rules_for(provider: str, model: str) -> ModelRules:
    """The rules for ``model`` at ``provider``; an unknown model gets conservative ones and a note.

    An OpenAI-compatible server gets OpenAI's rules whenever the model name says it is one of
    OpenAI's reasoning models (Azure deployments of gpt-5.x reject ``max_tokens`` and ``temperature``).
    """
    bare = _bare(model)
    if provider in ("openai", "compatible"):
        openai_family = _match("openai", bare)
        if openai_family is not None:
            if provider == "openai" or openai_family.reasoning:
                return replace(openai_family, provider=provider)
        if provider == "compatible":
            known = openai_family or _UNKNOWN["compatible"]
            return replace(_UNKNOWN["compatible"], max_output=known.max_output, context=known.context)
        return replace(_UNKNOWN["openai"], unknown_note=_unknown_note(model, "OpenAI"))
    if provider == "anthropic":
        found = _match("anthropic", bare)
        return found or replace(_UNKNOWN["anthropic"], unknown_note=_unknown_note(model, "Anthropic"))
    return _UNKNOWN.get(provider, _UNKNOWN["compatible"])


def _match(provider: str, bare: str) -> ModelRules | None:
    return next((r for p, r in FAMILIES if r.provider == provider and p.match(bare)), None)


def _unknown_note(model: str, provider: str) -> str:
    return (
        f'BatchLab has no rules for "{model}", so it uses {provider}\'s most careful settings (no temperature, '
        "no reasoning setting, the strictest schema limits). If the provider rejects a request, choose a model "
        "from BatchLab's list."
    )


# ---- which listed models can code a job ----------------------------------------------------------
#: Model ids that cannot answer a chat/messages request with text: embeddings, speech, images,
#: moderation, realtime and search-only models (OpenAI "Models" page families; batch-apis.md A.3).
_NOT_FOR_CODING = re.compile(
    r"(embed|whisper|tts|transcribe|dall-e|gpt-image|image|moderation|realtime|audio|search|sora|"
    r"davinci|babbage|computer-use|codex-mini)",
    re.IGNORECASE,
)


def can_code(model: str) -> bool:
    """Whether a model from a provider's list can answer a coding request (a text chat model)."""
    return not _NOT_FOR_CODING.search(_bare(model))
