"""Forms of the yearly emissions accounting: survey, data collection and quality control (6.1, 8.1).

Quantities travel as decimal strings; the process scripts compute with ``decimal(x)``.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import PAST, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form

# A survey accounts a finished or current calendar year, at most this many years back.
YEARS_BACK = 10

# 6.1.2b: the emission sources an accounting boundary may hold.
SOURCE_TYPES = ["fuel_combustion", "industrial_process", "purchased_electricity", "purchased_heat", "supply_chain"]
SOURCE_TYPE_LABELS = ["化石燃料燃烧排放 / Fossil fuel combustion", "生产过程排放 / Industrial process",
                      "净购入电力排放 / Net purchased electricity", "净购入热力排放 / Net purchased heat",
                      "供应链上下游排放 / Supply chain (up- and downstream)"]


def amount(zh: str, en: str, *, required: bool = True, positive: bool = False) -> fields.Decimal:
    """A non-negative decimal (a positive one if asked), kept as a string."""
    bounds = validate.Range(min=0, min_inclusive=not positive)
    if required:
        return fields.Decimal(as_string=True, required=True, validate=bounds, metadata=label(zh, en))
    return fields.Decimal(as_string=True, allow_none=True, load_default=None, validate=bounds,
                          metadata=label(zh, en))


class ScopeForm(Schema):
    """6.1.2b, 8.1.1b: the reporting year, the accounting boundary and how results are judged."""

    reporting_year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100),
                                    metadata=label("核算年度（上一自然年）", "Reporting year (previous calendar year)",
                                                   example=date.today().year - 1))
    departments = fields.List(
        DepartmentRef(), required=True, validate=validate.Length(min=1),
        metadata=label("核算边界内的部门", "Departments in the accounting boundary", example=["production", "energy"]))
    boundary_sources = fields.List(
        fields.String(validate=validate.OneOf(SOURCE_TYPES, labels=SOURCE_TYPE_LABELS)),
        required=True, validate=validate.Length(min=1),
        metadata=label("核算边界包含的排放源类别", "Emission source types in the boundary"))
    accounting_standard = fields.String(
        required=True,
        validate=validate.OneOf(
            ["gb_t_32150", "gb_t_32151_1", "gb_t_32151_4", "gb_t_32151_5", "gb_t_32151_8", "gb_t_32151_10", "other"],
            labels=["GB/T 32150 工业企业温室气体排放核算 / Industrial enterprises (general)",
                    "GB/T 32151.1 发电企业 / Power generation", "GB/T 32151.4 铝冶炼企业 / Aluminium smelting",
                    "GB/T 32151.5 钢铁生产企业 / Iron and steel", "GB/T 32151.8 水泥生产企业 / Cement",
                    "GB/T 32151.10 化工生产企业 / Chemicals", "其他核算指南 / Other guideline"]),
        metadata=label("适用的核算标准或指南", "Accounting standard or guideline applied"))
    quality_plan_reference = text("数据质量控制计划（编号/版本）", "Data quality control plan (number / version)", SHORT)
    accounting_lead = UserRef(required=True, metadata=label("核算负责人（编制报告）", "Accounting lead (compiles the report)",
                                                            example="staff_prod"))
    yoy_threshold_percent = fields.Decimal(
        as_string=True, load_default=Decimal(20), validate=validate.Range(min=0, min_inclusive=False),
        metadata=label("同比变化异常阈值（%）", "Year-on-year change flagged above (%)"))
    previous_year_emissions = amount("上年企业碳排放总量（tCO₂）", "Previous year's enterprise emissions (tCO₂)",
                                       required=False)
    previous_year_intensity = amount("上年企业碳排放强度", "Previous year's enterprise emission intensity",
                                       required=False)
    scope_note = optional_text("范围说明", "Notes on the scope")

    @validates_schema
    def year_is_not_future_nor_too_old(self, data: dict[str, Any], **kwargs: Any) -> None:
        year, this_year = data.get("reporting_year"), date.today().year
        if year is not None and year > this_year:
            raise ValidationError("The reporting year lies in the future. 核算年度不能晚于今年。", "reporting_year")
        if year is not None and year < this_year - YEARS_BACK:
            raise ValidationError(f"The reporting year is more than {YEARS_BACK} years back. "
                                  f"核算年度不能早于{YEARS_BACK}年前。", "reporting_year")

    @validates_schema
    def departments_once_each(self, data: dict[str, Any], **kwargs: Any) -> None:
        for name in ("departments", "boundary_sources"):
            values = data.get(name) or []
            if len(set(values)) != len(values):
                raise ValidationError("Each entry may appear only once. 每项只能出现一次。", name)


@form("emissions_accounting.start", "启动年度碳排放核算", "Start the yearly emissions accounting")
class StartForm(ScopeForm):
    """Start form: the scope of a survey started by hand."""


@form("emissions_accounting.confirm_scope", "确认核算范围", "Confirm the accounting scope")
class ConfirmScopeForm(ScopeForm):
    """A scheduled survey: the carbon management body confirms the year and the boundary."""


class ActivityRow(Schema):
    """6.1.2c-e, 8.1.1c, 8.3: one emission source of a key equipment item, its activity data and factor."""

    process_name = text("工序", "Process step", SHORT)
    equipment_name = text("设备设施名称", "Equipment name", SHORT)
    equipment_model = optional_text("型号", "Model", SHORT)
    equipment_type = fields.String(
        required=True,
        validate=validate.OneOf(["boiler", "industrial_kiln", "high_power_electrical", "other"],
                                labels=["锅炉 / Boiler", "工业窑炉 / Industrial kiln or furnace",
                                        "大功率用电设备 / High-power electrical equipment", "其他 / Other"]),
        metadata=label("设备设施类别", "Equipment type"))
    location = text("安装位置", "Location", SHORT)
    source_type = fields.String(required=True, validate=validate.OneOf(SOURCE_TYPES, labels=SOURCE_TYPE_LABELS),
                                metadata=label("排放源类别", "Emission source type"))
    fuel_or_material = optional_text("燃料/物料类型", "Fuel or material", SHORT)
    quantity = amount("活动数据", "Activity data (quantity)")
    unit = text("计量单位", "Unit", 40)
    emission_factor = amount("排放因子（tCO₂/单位）", "Emission factor (tCO₂ per unit)")
    factor_source = text("排放因子来源", "Source of the emission factor", SHORT)
    meter = text("计量器具配置（名称/编号/精度）", "Meter (name / number / accuracy class)", SHORT)
    meter_last_calibrated = day("计量器具最近校准日期", "Meter last calibrated on", PAST, required=False)
    data_source = fields.String(
        required=True,
        validate=validate.OneOf(["measured", "estimated"], labels=["实测 / Measured", "估算 / Estimated"]),
        metadata=label("数据获取方式", "Data source"))
    missing_data_handling = optional_text("数据缺失处理方式", "Missing-data handling")
    recording_frequency = fields.String(
        required=True,
        validate=validate.OneOf(["continuous", "per_shift", "daily", "monthly", "per_delivery"],
                                labels=["连续监测 / Continuous", "每班 / Per shift", "每日 / Daily",
                                        "每月 / Monthly", "每批次进货 / Per delivery"]),
        metadata=label("数据记录频次", "Recording frequency"))
    previous_year_quantity = amount("上年同期活动数据", "Previous year's activity data", required=False)

    @validates_schema
    def estimates_say_how(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("data_source") == "estimated" and not data.get("missing_data_handling"):
            raise ValidationError("Say how the missing data was handled. 估算数据须说明数据缺失处理方式。",
                                  "missing_data_handling")


class ProductionRow(Schema):
    """Production output of a process, the denominator of emission intensity."""

    process_name = text("工序", "Process step", SHORT)
    product = text("产品", "Product", SHORT)
    output = amount("产量", "Output")
    unit = text("单位", "Unit", 40)
    counts_for_enterprise = fields.Boolean(
        required=True, metadata=label("计入企业产品产量（强度分母）", "Counts as enterprise output (intensity basis)"))


class ParameterRow(Schema):
    """8.1.2d: another parameter the accounting standard or guideline requires (e.g. carbon content)."""

    parameter = text("参数名称", "Parameter", SHORT)
    process_name = optional_text("所属工序或设备", "Process step or equipment", SHORT)
    value = fields.Decimal(as_string=True, required=True, metadata=label("数值", "Value"))
    unit = text("单位", "Unit", 40)
    method = text("监测或取值方法", "How it was monitored or taken", SHORT)


@form("emissions_accounting.collect_activity_data", "采集部门碳排放数据", "Collect the department's emission data")
class CollectActivityDataForm(Schema):
    """6.1.2b-e, 8.1.2a-d, 8.3: one department's emission sources, activity data and output."""

    sources = fields.List(fields.Nested(ActivityRow), required=True, validate=validate.Length(min=1),
                          metadata=label("排放源活动数据", "Activity data per emission source"))
    production = fields.List(fields.Nested(ProductionRow), required=True, validate=validate.Length(min=1),
                             metadata=label("产品产量", "Production output"))
    operating_parameters = optional_text("工序及设备运行参数监测情况", "Monitored process and equipment parameters")
    other_parameters = fields.List(
        fields.Nested(ParameterRow), load_default=list,
        metadata=label("核算标准或指南规定的其他参数", "Other parameters the accounting standard requires"))
    records_location = text("原始记录与台账存放位置", "Where the original records are kept", SHORT)


# 8.1.3 a-g, as (field stem, zh, en): each item is a pass/fail field "<stem>_ok" with a note "<stem>_note".
QUALITY_ITEMS = [
    ("equipment", "重点排放设备设施与计划描述一致", "Key equipment matches the plan"),
    ("boundary", "核算边界与计划一致", "Accounting boundary matches the plan"),
    ("measurement", "活动数据、排放因子和生产数据按计划测量", "Activity data, factors and production data measured per plan"),
    ("calibration", "测量设备得到有效维护和校准", "Meters maintained and calibrated"),
    ("frequency", "测量结果按计划频次汇总记录", "Results recorded at the planned frequency"),
    ("missing_data", "数据缺失处理方式与计划一致", "Missing data handled per plan"),
    ("procedures", "质量控制和质量保证程序按计划执行", "QC and QA procedures followed per plan"),
]
_ZH = {stem: zh for stem, zh, _ in QUALITY_ITEMS}
_EN = {stem: en for stem, _, en in QUALITY_ITEMS}


def passed(stem: str) -> fields.Boolean:
    return fields.Boolean(required=True, metadata=label(f"{_ZH[stem]}（通过）", f"{_EN[stem]} (pass)"))


def note(stem: str) -> fields.String:
    return optional_text(f"{_ZH[stem]}：说明", f"{_EN[stem]}: note")


@form("emissions_accounting.check_data_quality", "数据质量检查", "Check data quality")
class CheckDataQualityForm(Schema):
    """8.1.3 a-g: every department's data checked against the data quality control plan."""

    equipment_ok = passed("equipment")
    equipment_note = note("equipment")
    boundary_ok = passed("boundary")
    boundary_note = note("boundary")
    measurement_ok = passed("measurement")
    measurement_note = note("measurement")
    calibration_ok = passed("calibration")
    calibration_note = note("calibration")
    frequency_ok = passed("frequency")
    frequency_note = note("frequency")
    missing_data_ok = passed("missing_data")
    missing_data_note = note("missing_data")
    procedures_ok = passed("procedures")
    procedures_note = note("procedures")
    missing_data_summary = text("数据缺失及处理情况汇总", "Missing data found and how it was handled")
    check_comment = optional_text("检查意见", "Check comment")

    @validates_schema
    def failures_are_explained(self, data: dict[str, Any], **kwargs: Any) -> None:
        missing = {f"{stem}_note": ["Say what failed. 未通过的项须填写说明。"]
                   for stem, _, _ in QUALITY_ITEMS if data.get(f"{stem}_ok") is False and not data.get(f"{stem}_note")}
        if missing:
            raise ValidationError(missing)


@form("emissions_accounting.explain_abnormal", "说明异常数据", "Explain the abnormal value")
class ExplainAbnormalForm(Schema):
    """6.1.3, 8.1.2: why one flagged value is what it is, or its corrected value.

    A source outside the accounting boundary counts in the totals only when ``boundary_treatment`` is
    ``include``; a process step without output gets its output here (``corrected``) or the reason why
    its intensity cannot be given (``explained``).
    """

    cause = text("原因分析", "Cause")
    resolution = fields.String(
        required=True,
        validate=validate.OneOf(["explained", "corrected", "pending"],
                                labels=["数值属实，已说明原因 / Value is right; cause explained",
                                        "数值有误，已更正 / Value was wrong; corrected",
                                        "尚需核实，稍后再说明 / Still being checked; explain later"]),
        metadata=label("处理结论", "Resolution"))
    corrected_quantity = amount("更正后的数值（活动数据，或补报的工序产量）",
                                "Corrected value (activity data, or the process step's missing output)", required=False)
    corrected_unit = optional_text("补报产量的单位", "Unit of the added output", 40)
    boundary_treatment = fields.String(
        allow_none=True, load_default=None,
        validate=validate.OneOf(["exclude", "include"],
                                labels=["排除，不计入企业排放总量 / Exclude: not counted in the totals",
                                        "计入总量，理由见说明 / Include in the totals, for the reason explained"]),
        metadata=label("边界外排放源的处理（仅边界外排放源）", "Source outside the boundary: treatment (only for such)"))
    explanation = text("说明及证据", "Explanation and evidence")

    @validates_schema
    def correction_gives_value(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("resolution") == "corrected" and data.get("corrected_quantity") is None:
            raise ValidationError("Give the corrected value. 请填写更正后的数值。", "corrected_quantity")


@form("emissions_accounting.compile_report", "编制现状调查与评价报告", "Compile the survey and evaluation report")
class CompileReportForm(Schema):
    """6.1.1 a-e with 6.1.2a/f, 6.1.3, 6.1.4 a-e, 6.1.5 a-g: the report around the computed results."""

    survey_method = text("调查和评价的方法", "Survey and evaluation method")
    data_acquisition = text("碳排放数据获取的途径", "How the emission data was obtained")
    enterprise_info = text("企业基本信息", "Enterprise information")
    main_products = text("主营产品", "Main products", SHORT)
    production_processes = text("生产工艺", "Production processes")
    organisation_structure = text("组织机构框架", "Organisation structure")
    site_layout_reference = text("生产区域分布图（文件编号）", "Site layout map (document number)", SHORT)
    process_flow_reference = text("生产工艺流程图（文件编号）", "Process flow diagram (document number)", SHORT)
    results_analysis = text("核算结果及碳排放强度变化分析", "Results and analysis of intensity changes")
    footprint_and_sinks = optional_text("原材料及产品碳足迹、碳汇数据", "Material and product footprints, carbon sinks")
    factor_operation_stability = text("影响因素：生产运行的稳定性", "Factor: stability of operation")
    factor_process_technology = text("影响因素：生产工艺的先进性", "Factor: how advanced the process technology is")
    factor_equipment_efficiency = text("影响因素：设备设施是否高效运行", "Factor: equipment efficiency")
    factor_staff_competence = text("影响因素：人员能力是否匹配", "Factor: staff competence")
    factor_other = optional_text("其他影响因素", "Other factors")
    direction_clean_energy = text("改进方向：清洁能源的利用", "Direction: use of clean energy")
    direction_low_carbon_materials = text("改进方向：低碳原材料的替代", "Direction: low-carbon raw materials")
    direction_efficient_equipment = text("改进方向：高效设备的使用", "Direction: efficient equipment")
    direction_process_improvement = text("改进方向：生产工艺的改进", "Direction: process improvement")
    direction_product_innovation = text("改进方向：产品技术的革新", "Direction: product innovation")
    direction_staff_suggestions = text("改进方向：员工合理化建议的采纳", "Direction: staff suggestions adopted")
    direction_other = optional_text("其他改进措施", "Other improvements")
    supply_chain_observations = optional_text("供应链管理情况（燃料、原辅材料、绿色能源、物流、回收）",
                                              "Supply chain (fuel, materials, green energy, logistics, recycling)")
    baseline_change = fields.String(
        required=True,
        validate=validate.OneOf(
            ["none", "boundary_or_structure", "emission_sources", "other"],
            labels=["无需调整基准 / No baseline change",
                    ("边界、能源结构、产品结构、原材料、工艺或设备明显变化 / Boundary, energy or product structure, "
                     "materials, process or equipment changed markedly (6.3.2a)"),
                    "直接或间接排放源明显变化 / Direct or indirect sources changed markedly (6.3.2b)",
                    "其他情况 / Other (6.3.2c)"]),
        metadata=label("是否出现需调整碳排放基准的情况", "Does the baseline need adjusting?"))
    baseline_change_description = optional_text("基准调整原因说明", "Why the baseline needs adjusting")

    @validates_schema
    def baseline_change_is_described(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("baseline_change", "none") != "none" and not data.get("baseline_change_description"):
            raise ValidationError("Describe the change. 请说明需调整基准的原因。", "baseline_change_description")


@form("emissions_accounting.review_report", "碳排放管理机构审核", "Review by the carbon management body")
class ReviewReportForm(Schema):
    """4.3a, 6.1.1: the body reviews the report and forwards it, or sends it back."""

    decision = fields.String(
        required=True,
        validate=validate.OneOf(["forward", "revise_report", "recollect_data"],
                                labels=["审核通过，提交最高管理者批准 / Forward for approval",
                                        "退回修改报告 / Send the report back for revision",
                                        "退回重新采集数据 / Send back to data collection"]),
        metadata=label("审核结论", "Decision"))
    departments_to_recollect = fields.List(
        DepartmentRef(), load_default=list,
        metadata=label("需重新采集数据的部门（留空为全部）", "Departments to collect again (empty: all)"))
    review_comment = text("审核意见", "Review comment")


@form("emissions_accounting.approve_report", "最高管理者批准", "Approval by top management")
class ApproveReportForm(Schema):
    """4.2, 6.1.1: top management approves the survey and evaluation report or sends it back."""

    approved = fields.Boolean(required=True, metadata=label("批准报告", "Approve the report"))
    approval_comment = text("批准意见", "Comment")
