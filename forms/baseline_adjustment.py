"""Forms of the baseline adjustment (guideline 6.3.1-6.3.3): trigger, significance, recalculation, approval."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import PAST, SHORT, day, label, optional_text, text
from forms.registry import form


LEVELS = ["enterprise", "process", "equipment"]
LEVEL_LABELS = ["企业层级 / Enterprise", "工序层级 / Process", "设备设施层级 / Equipment"]
# A recalculated baseline covers every level (6.3.1: "different levels"); below the enterprise a level
# may instead be declared not applicable, with the reason.
LOWER_LEVELS = ["process", "equipment"]


def amount(zh: str, en: str) -> fields.Decimal:
    """A required non-negative decimal, kept as a string."""
    return fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0), metadata=label(zh, en))


class ChangeDetectedForm(Schema):
    """6.3.2 a-c: what changed so that performance may no longer show the true emission level."""

    trigger = fields.String(
        required=True,
        validate=validate.OneOf(
            ["boundary_or_structure", "emission_sources", "other"],
            labels=[("物理边界、能源结构、产品结构、原材料、工艺或设备设施明显变化 / Physical boundary, energy or "
                     "product structure, raw materials, process or equipment changed markedly (6.3.2a)"),
                    "直接或间接排放源明显变化 / Direct or indirect emission sources changed markedly (6.3.2b)",
                    "其他情况 / Other (6.3.2c)"]),
        metadata=label("调整触发情形", "Trigger"))
    description = text("变化情况说明", "What changed")
    detected_on = day("发现日期", "Detected on", PAST)
    source_reference = optional_text("来源（如核算报告、管理评审）", "Source (e.g. accounting report, management review)",
                                     SHORT)


@form("baseline_adjustment.start", "提出碳排放基准调整", "Propose a baseline adjustment")
class StartForm(ChangeDetectedForm):
    """Start form: the carbon management body records a change that may call for a new baseline."""


@form("baseline_adjustment.change_detected", "发现需调整基准的变化", "Baseline change detected")
class ChangeDetectedMessageForm(ChangeDetectedForm):
    """The data of a baseline_change_detected message (e.g. thrown by the yearly accounting)."""


class BaselineRow(Schema):
    """6.3.1 a-c: the baseline of one level: base year, base-year emissions and intensity."""

    level = fields.String(
        required=True,
        validate=validate.OneOf(LEVELS, labels=LEVEL_LABELS),
        metadata=label("层级", "Level"))
    object_name = text("对象名称（企业/工序/设备）", "Enterprise, process or equipment name", SHORT)
    base_year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100),
                               metadata=label("基准年", "Base year"))
    emissions = amount("基准年碳排放量（tCO₂）", "Base-year emissions (tCO₂)")
    intensity = amount("基准年碳排放强度", "Base-year emission intensity")
    intensity_unit = text("强度单位", "Intensity unit", 40)


def baseline_rows(zh: str, en: str, **extra: Any) -> fields.List:
    return fields.List(fields.Nested(BaselineRow), required=True, validate=validate.Length(min=1),
                       metadata=label(zh, en, **extra))


class LevelNotApplicableRow(Schema):
    """A level below the enterprise that has no baseline of its own, and why."""

    level = fields.String(required=True, validate=validate.OneOf(LOWER_LEVELS, labels=LEVEL_LABELS[1:]),
                          metadata=label("层级", "Level"))
    reason = text("不适用的理由", "Why it does not apply")


# A whole baseline the form walker can submit: one row per level.
EXAMPLE_BASELINE = [
    {"level": level, "object_name": name, "base_year": 2024, "emissions": "1", "intensity": "1",
     "intensity_unit": "tCO2/t"}
    for level, name in (("enterprise", "Enterprise"), ("process", "Process step"), ("equipment", "Equipment"))]


def check_baseline(rows: list[dict[str, Any]], name: str) -> None:
    """A baseline names each object once and has an enterprise-level row."""
    keys = [(row["level"], row["object_name"]) for row in rows]
    if len(set(keys)) != len(keys):
        raise ValidationError("Each level and object may appear only once. 同一层级的对象只能出现一次。", name)
    if "enterprise" not in {row["level"] for row in rows}:
        raise ValidationError("Give the enterprise-level baseline. 须包含企业层级基准。", name)


@form("baseline_adjustment.assess_significance", "评估变化的显著性", "Assess the significance of the change")
class AssessSignificanceForm(Schema):
    """6.3.2: record the baseline in force and judge whether the change distorts performance."""

    changed_aspects = fields.List(
        fields.String(validate=validate.OneOf(
            ["physical_boundary", "energy_structure", "product_structure", "raw_materials", "process",
             "equipment", "direct_sources", "indirect_sources", "other"],
            labels=["物理边界 / Physical boundary", "能源结构 / Energy structure", "产品结构 / Product structure",
                    "原材料 / Raw materials", "工艺 / Process", "设备设施 / Equipment",
                    "直接排放源 / Direct sources", "间接排放源 / Indirect sources", "其他 / Other"])),
        required=True, validate=validate.Length(min=1),
        metadata=label("发生变化的方面", "What changed"))
    old_baseline = baseline_rows("现行基准（调整前）", "Baseline in force (before adjustment)")
    old_baseline_reference = optional_text("现行基准记录编号", "Record number of the baseline in force", SHORT)
    estimated_impact_percent = fields.Decimal(
        as_string=True, required=True, validate=validate.Range(min=0),
        metadata=label("对基准年排放量的估计影响（%）", "Estimated effect on base-year emissions (%)"))
    significant = fields.Boolean(required=True, metadata=label(
        "变化显著，需重新计算基准", "Significant: the baseline must be recalculated"))
    assessment_rationale = text("评估依据", "Rationale")

    @validates_schema
    def baseline_is_whole(self, data: dict[str, Any], **kwargs: Any) -> None:
        check_baseline(data.get("old_baseline") or [], "old_baseline")


@form("baseline_adjustment.recalculate_baseline", "重新计算碳排放基准", "Recalculate the baseline")
class RecalculateBaselineForm(Schema):
    """6.3.1 a-c: the new base year, base-year emissions and intensity for each level (or why a level has none)."""

    new_baseline = baseline_rows("调整后的基准", "Adjusted baseline", example=EXAMPLE_BASELINE)
    levels_not_applicable = fields.List(
        fields.Nested(LevelNotApplicableRow), load_default=list,
        metadata=label("不适用的层级及理由", "Levels without a baseline of their own, and why"))
    recalculation_method = text("重新计算方法（核算标准、边界及数据处理）",
                                "Recalculation method (standard, boundary, data treatment)")
    adjustments_made = text("调整内容", "What was adjusted")
    data_sources = text("数据来源", "Data sources")
    effective_from = day("新基准启用日期", "New baseline applies from")

    @validates_schema
    def baseline_is_whole(self, data: dict[str, Any], **kwargs: Any) -> None:
        rows = data.get("new_baseline") or []
        check_baseline(rows, "new_baseline")
        given = {row["level"] for row in rows}
        declared = [row["level"] for row in data.get("levels_not_applicable") or []]
        if len(set(declared)) != len(declared) or given & set(declared):
            raise ValidationError("A level is either given or declared not applicable, once. "
                                  "每个层级要么给出基准，要么声明不适用，且只能一次。", "levels_not_applicable")
        missing = [level for level in LOWER_LEVELS if level not in given and level not in declared]
        if missing:
            raise ValidationError(f"Give a baseline for the {' and '.join(missing)} level, or say why it does not "
                                  "apply. 请给出工序和设备设施层级的基准，或说明不适用的理由。", "new_baseline")


@form("baseline_adjustment.approve_baseline", "批准基准调整", "Approve the baseline adjustment")
class ApproveBaselineForm(Schema):
    """6.3.3: top management approves the adjusted baseline or sends it back."""

    approved = fields.Boolean(required=True, metadata=label("批准调整后的基准", "Approve the adjusted baseline"))
    approval_comment = text("批准意见", "Comment")
