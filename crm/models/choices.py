"""Controlled vocabularies of the domain (DESIGN.md), stored as codes and shown in Chinese."""

from __future__ import annotations

ROLES = {
    "admin": "系统管理员",
    "leader": "领导",
    "promoter": "招商专员",
    "manager": "楼宇管理员",
}

# Streets in the order DESIGN.md lists them; demo manager louyuN keeps the N-th street.
STREETS = ["八一路", "人民广场", "白云", "日新", "香炉礁"]

ZONES = ["香炉礁国际商贸片区", "奥林匹克时尚商业片区", "站北中央活力片区", "一二九街科技创新片区"]

INDUSTRY_GROUPS = [
    "数字技术服务",
    "商务服务",
    "科技服务",
    "海洋相关服务",
    "金融服务",
    "现代商贸",
    "健康服务",
    "现代旅游",
    "文化创意",
    "社区服务",
    "教育培训",
]

# GB/T 4754-2017 门类
INDUSTRY_SECTIONS = {
    "A": "农、林、牧、渔业",
    "B": "采矿业",
    "C": "制造业",
    "D": "电力、热力、燃气及水生产和供应业",
    "E": "建筑业",
    "F": "批发和零售业",
    "G": "交通运输、仓储和邮政业",
    "H": "住宿和餐饮业",
    "I": "信息传输、软件和信息技术服务业",
    "J": "金融业",
    "K": "房地产业",
    "L": "租赁和商务服务业",
    "M": "科学研究和技术服务业",
    "N": "水利、环境和公共设施管理业",
    "O": "居民服务、修理和其他服务业",
    "P": "教育",
    "Q": "卫生和社会工作",
    "R": "文化、体育和娱乐业",
    "S": "公共管理、社会保障和社会组织",
    "T": "国际组织",
}

HQ_TYPES = {
    "none": "非总部",
    "comprehensive": "综合型总部",
    "regional": "区域型总部",
    "functional": "职能型总部",
    "multinational": "跨国公司地区总部",
}

UNIT_STATUSES = {
    "occupied": "已出租",
    "reserved": "预留",
    "self_use": "自用",
    "vacant": "空置",
}

TIERS = {"yi": "亿元楼", "wuqianwan": "五千万楼", "qianwan": "千万楼"}

MOVE_OUT_REASONS = ["到期", "提前退租", "迁出本区", "注销", "其他"]
