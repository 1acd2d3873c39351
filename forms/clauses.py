"""The guideline's clauses, each with its title in Chinese and English: what a clause field offers.

The numbers are those of the clause map (``engine/guideline/clause-map.en.md``), in its order; a test keeps
the two the same. Where the standard gives a clause a heading (4.1–4.3, 7.2, 7.3, 8.1.1–8.1.3, 8.2, 8.3,
8.5.1, 8.5.2), the Chinese title is that heading verbatim; the other clauses are untitled paragraphs in the
standard, so their titles here are short labels of what the paragraph requires.
"""
from __future__ import annotations

CLAUSES: dict[str, tuple[str, str]] = {
    "4.1": ("建立碳排放管理机构", "Establishing the carbon management body"),
    "4.2": ("最高管理者职责", "Duties of top management"),
    "4.3": ("碳排放管理机构职责", "Duties of the carbon management body"),
    "5.1.1": ("企业所处的环境", "Context of the enterprise"),
    "5.1.2": ("外部因素", "External factors"),
    "5.1.3": ("内部因素", "Internal factors"),
    "5.2.1": ("碳排放管理方针", "Carbon emission management policy"),
    "5.2.2": ("方针的理解、解读与获取", "Understanding, interpreting and obtaining the policy"),
    "6.1.1": ("碳排放现状调查", "Survey of the current state"),
    "6.1.2": ("数据收集", "Data collection"),
    "6.1.3": ("碳排放核算与分析", "Emissions accounting and analysis"),
    "6.1.4": ("影响因素", "Influencing factors"),
    "6.1.5": ("改进方向", "Directions for improvement"),
    "6.2.1": ("风险识别", "Identifying risks"),
    "6.2.2": ("外部风险", "External risks"),
    "6.2.3": ("内部风险", "Internal risks"),
    "6.3.1": ("碳排放基准", "Carbon emission baseline"),
    "6.3.2": ("基准调整", "Adjusting the baseline"),
    "6.3.3": ("基准的记录", "Baseline records"),
    "6.4.1": ("碳排放管理目标", "Carbon management objectives"),
    "6.4.2": ("分层级的管理指标", "Targets by level"),
    "6.4.3": ("应对风险的措施", "Responses to risks"),
    "6.4.4": ("实施方案", "Implementation plan"),
    "7.1.1": ("人员能力建设", "Building competence"),
    "7.1.2": ("人员能力的记录", "Records of competence"),
    "7.2": ("财务资源保障", "Financial resources"),
    "7.3": ("专业化服务支持", "Professional service support"),
    "7.4.1": ("内外部沟通", "Internal and external communication"),
    "7.4.2": ("沟通方式", "Means of communication"),
    "7.4.3": ("沟通的记录", "Communication records"),
    "7.5.1": ("文件和记录", "Documents and records"),
    "7.5.2": ("文件控制", "Document control"),
    "8.1.1": ("建立数据质量控制计划", "Establishing the data quality control plan"),
    "8.1.2": ("实施碳排放数据监测", "Monitoring carbon emission data"),
    "8.1.3": ("数据质量管理", "Data quality management"),
    "8.2": ("供应链管理", "Supply chain management"),
    "8.3": ("设备设施管理", "Equipment and facilities management"),
    "8.4.1": ("碳减排措施", "Carbon reduction measures"),
    "8.4.2": ("碳减排措施的记录", "Records of reduction measures"),
    "8.5.1": ("碳资产开发", "Carbon asset development"),
    "8.5.2": ("碳排放权履约管理", "Managing compliance with emission allowances"),
    "9.1.1": ("合规性评价", "Compliance evaluation"),
    "9.1.2": ("合规性再评价", "Evaluating compliance again"),
    "9.1.3": ("合规性评价的记录", "Compliance evaluation records"),
    "9.2.1": ("内部审核", "Internal audit"),
    "9.2.2": ("审核方案", "Audit programme"),
    "9.2.3": ("审核的记录", "Audit records"),
    "9.3.1": ("管理评审", "Management review"),
    "9.3.2": ("管理评审的记录", "Management review records"),
    "10.1": ("改进", "Improvement"),
    "10.2": ("不符合与纠正措施", "Nonconformity and corrective action"),
    "10.3": ("不符合项的记录", "Nonconformity records"),
    "10.4": ("持续改进", "Continual improvement"),
}

NUMBERS: tuple[str, ...] = tuple(CLAUSES)


def clause_label(number: str) -> str:
    """The clause as a choice reads: ``8.1.3 数据质量管理 / 8.1.3 Data quality management``."""
    zh, en = CLAUSES[number]
    return f"{number} {zh} / {number} {en}"
