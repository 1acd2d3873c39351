"""Forms of the carbon asset and compliance surrender process (guideline clauses 8.5.1 a-e, 8.5.2 a-c, 7.2d)."""
from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from forms.fields import PAST, SHORT, DepartmentRef, UserRef, day, label, optional_text, text
from forms.registry import form


# 8.5.1 a-e: the carbon assets an enterprise holds or develops.
ASSET_TYPES: dict[str, tuple[str, str, str]] = {
    "allowance": ("a", "碳排放权配额", "Emission allowances"),
    "ccer": ("b", "国家核证自愿减排量（CCER）", "Certified emission reductions (CCER)"),
    "green_certificate": ("c", "可再生能源绿色电力证书（绿证）", "Green electricity certificates"),
    "carbon_sink": ("d", "碳汇（森林、草地、耕地、土壤等）", "Carbon sinks (forest, grassland, cropland, soil...)"),
    "other": ("e", "其他碳资产", "Other carbon assets"),
}
# What can be surrendered or traded for compliance.
TRADABLE = ["allowance", "ccer"]
TRADABLE_LABELS = ["碳排放权配额 / Allowances", "CCER"]


def amount(zh: str, en: str) -> fields.Decimal:
    """A required non-negative quantity, kept as a string so no precision is lost."""
    return fields.Decimal(as_string=True, required=True, validate=validate.Range(min=0), metadata=label(zh, en))


def year(zh: str, en: str) -> fields.Integer:
    return fields.Integer(required=True, validate=validate.Range(min=2000, max=2100), metadata=label(zh, en))


def table(row: type[Schema], zh: str, en: str, min_rows: int = 1) -> fields.List:
    """A required table of rows."""
    return fields.List(fields.Nested(row), required=True, validate=validate.Length(min=min_rows),
                       metadata=label(zh, en))


def tradable(zh: str, en: str) -> fields.String:
    return fields.String(required=True, validate=validate.OneOf(TRADABLE, labels=TRADABLE_LABELS),
                         metadata=label(zh, en))


class ComplianceOwnerForm(Schema):
    """8.5.2a, 8.5.2b: who manages the surrender, under which procedure, for which year and by when."""

    compliance_year = year("履约对应的排放年度", "Emission year being surrendered for")
    owner = UserRef(required=True, metadata=label("履约负责人", "Compliance owner"))
    owner_department = DepartmentRef(required=True, metadata=label("履约管理部门", "Department managing compliance"))
    duties = text("履约管理职责", "Duties of the compliance owner and department")
    procedure_reference = text("履约管理程序文件编号", "Compliance procedure (document number)", SHORT)
    surrender_deadline = day("清缴截止日期", "Surrender deadline")


@form("carbon_asset_compliance.start", "发起碳资产盘点和履约", "Start the carbon asset inventory and surrender")
class StartForm(ComplianceOwnerForm):
    """Start by hand: the carbon body names the compliance owner (the yearly schedule asks for it next)."""


@form("carbon_asset_compliance.appoint_owner", "指定履约负责人", "Appoint the compliance owner")
class AppointOwnerForm(ComplianceOwnerForm):
    """After the yearly start: the carbon body names the compliance owner, department and procedure."""


class AssetRow(Schema):
    """One carbon asset held or under development (8.5.1 a-e)."""

    asset_type = fields.String(
        required=True,
        validate=validate.OneOf(list(ASSET_TYPES), labels=[f"{letter}) {zh}（8.5.1{letter}） / {en} (8.5.1{letter})"
                                                           for letter, zh, en in ASSET_TYPES.values()]),
        metadata=label("资产类型", "Type of asset"),
    )
    description = text("资产或项目说明", "Asset or project", SHORT)
    status = fields.String(
        required=True,
        validate=validate.OneOf(["held", "under_development"],
                                labels=["已持有 / Held", "开发中 / Under development"]),
        metadata=label("状态", "Status"),
    )
    quantity = amount("数量", "Quantity")
    unit = fields.String(
        required=True,
        validate=validate.OneOf(["tCO2e", "MWh", "certificates"],
                                labels=["吨二氧化碳当量 / tCO2e", "兆瓦时 / MWh", "张 / Certificates"]),
        metadata=label("单位", "Unit"),
    )
    vintage = year("年份（配额年度、减排量产生年份）", "Vintage")
    registry_account = optional_text("登记账户或登记编号", "Registry account or serial number", SHORT)


@form("carbon_asset_compliance.inventory_assets", "盘点碳资产", "Take stock of the carbon assets")
class InventoryAssetsForm(Schema):
    """8.5.1 a-e: the carbon assets held or being developed, and the projects worth developing."""

    assets = table(AssetRow, "碳资产清单（8.5.1）", "Carbon assets (8.5.1)")
    development_opportunities = text("拟开发的碳资产项目", "Carbon asset projects to develop")
    inventory_date = day("盘点日期", "Stocktaking date", PAST)


class TradeRow(Schema):
    """A purchase or sale the plan intends, with its price limit (8.5.2c)."""

    direction = fields.String(required=True, validate=validate.OneOf(["buy", "sell"], labels=["买入 / Buy", "卖出 / Sell"]),
                              metadata=label("买卖方向", "Buy or sell"))
    asset_type = tradable("交易品种", "Traded asset")
    quantity = amount("数量（tCO2e）", "Quantity (tCO2e)")
    price_limit = amount("价格上限或下限（元/吨）", "Price limit (yuan/t; ceiling to buy, floor to sell)")
    window = text("交易时间窗口", "When to trade", SHORT)
    market = text("交易平台", "Exchange or platform", SHORT)


class PriceObservation(Schema):
    """A carbon price watched while planning (8.5.2c)."""

    observed_on = day("日期", "Observed on", PAST)
    asset_type = tradable("品种", "Asset")
    price = amount("价格（元/吨）", "Price (yuan/t)")
    market = text("交易平台", "Exchange or platform", SHORT)


@form("carbon_asset_compliance.plan_surrender", "制定履约方案", "Plan the surrender")
class PlanSurrenderForm(Schema):
    """8.5.2b, 8.5.2c, 7.2d: verified emissions against holdings, trades at watched prices, and funding."""

    verified_emissions = amount("经核查的排放量（tCO2e）", "Verified emissions (tCO2e)")
    verification_report = text("核查报告编号", "Verification report number", SHORT)
    allowances_to_surrender = amount("拟清缴配额（tCO2e）", "Allowances to surrender (tCO2e)")
    ccer_to_surrender = amount("拟抵销的 CCER（tCO2e）", "CCER to offset (tCO2e)")
    offset_within_limit = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="CCER offsets must stay within the authority's limit. "
                                            "CCER 抵销比例须符合主管部门规定。"),
        metadata=label("CCER 抵销比例符合主管部门规定", "CCER offsets within the authority's limit"),
    )
    price_watch = table(PriceObservation, "碳价跟踪（8.5.2c）", "Carbon prices watched (8.5.2c)")
    trades = fields.List(fields.Nested(TradeRow), load_default=list,
                         metadata=label("拟买入或卖出（8.5.2c）", "Planned purchases and sales (8.5.2c)"))
    cost_strategy = text("降低履约成本的策略", "How the plan keeps the cost of compliance down")
    funding_required = amount("所需资金（元，7.2d）", "Funding required (yuan, 7.2d)")
    funding_source = text("资金来源（预算科目）", "Source of funds (budget line)", SHORT)

    @validates_schema
    def check_obligation(self, data: dict[str, Any], **kwargs: Any) -> None:
        planned = data.get("allowances_to_surrender", 0) + data.get("ccer_to_surrender", 0)
        if "verified_emissions" in data and planned < data["verified_emissions"]:
            raise ValidationError("The surrender must cover the verified emissions. 清缴量须覆盖经核查的排放量。",
                                  "allowances_to_surrender")


@form("carbon_asset_compliance.approve_plan", "审批履约方案", "Approve the surrender plan")
class ApprovePlanForm(Schema):
    """Top management approves the plan and its funding (7.2d), or sends it back."""

    approved = fields.Boolean(required=True, metadata=label("批准", "Approved"))
    funding_approved = amount("批准资金（元，退回填0）", "Funding approved (yuan; 0 when sent back)")
    comments = optional_text("审批意见（退回时必填）", "Comments (required when sent back)")

    @validates_schema
    def check_comments(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("approved") and not data.get("comments", "").strip():
            raise ValidationError("Say why it goes back. 退回时须填写审批意见。", "comments")


class ExecutedTrade(Schema):
    """A purchase or sale actually made."""

    direction = fields.String(required=True, validate=validate.OneOf(["buy", "sell"], labels=["买入 / Buy", "卖出 / Sell"]),
                              metadata=label("买卖方向", "Buy or sell"))
    asset_type = tradable("交易品种", "Traded asset")
    quantity = amount("数量（tCO2e）", "Quantity (tCO2e)")
    price = amount("成交价（元/吨）", "Price (yuan/t)")
    traded_on = day("成交日期", "Traded on", PAST)
    market = text("交易平台", "Exchange or platform", SHORT)


@form("carbon_asset_compliance.record_surrender", "登记清缴结果", "Record the surrender")
class RecordSurrenderForm(Schema):
    """8.5.2b: what was traded and surrendered, with the registry's reference."""

    trades_made = fields.List(fields.Nested(ExecutedTrade), load_default=list,
                              metadata=label("实际买入或卖出", "Purchases and sales made"))
    allowances_surrendered = amount("已清缴配额（tCO2e）", "Allowances surrendered (tCO2e)")
    ccer_surrendered = amount("已抵销 CCER（tCO2e）", "CCER offset (tCO2e)")
    surrendered_on = day("清缴日期", "Surrendered on", PAST)
    registry_reference = text("注册登记系统清缴编号", "Registry surrender reference", SHORT)
    actual_cost = amount("实际履约成本（元）", "Actual cost of compliance (yuan)")
    notes = optional_text("说明", "Notes")


@form("carbon_asset_compliance.confirm_compliance", "确认履约完成", "Confirm compliance is complete")
class ConfirmComplianceForm(Schema):
    """The carbon body checks the registry record and the use of the funds (7.2), and closes the year."""

    compliance_complete = fields.Boolean(required=True, metadata=label("履约已完成", "Compliance complete"))
    funds_use_reviewed = fields.Boolean(
        required=True,
        validate=validate.Equal(True, error="Review how the funds were used. 须监督检查资金使用情况。"),
        metadata=label("已检查资金使用情况", "Use of the funds reviewed"),
    )
    findings = text("确认意见（未完成时写明问题）", "Findings (what is missing, if not complete)")
