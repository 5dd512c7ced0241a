"""The 31 provincial-level divisions of mainland China (GB/T 2260 codes) and the pinyin prefix
that starts their filing numbers, plus the central state-owned-enterprise jurisdiction.

Evidence for the prefixes (../shared/regulation.md section 8 and the registry sample): Beijing,
Shanghai, Anhui and ZheJiang (sic, camel case) appear in published numbers, and central
state-owned enterprises, whose 属地 column reads 国资委, use ``ZhongYangQiYe`` (中央企业; China
Mobile's 九天 ``ZhongYangQiYe-JiuTian-20240123``). The other prefixes are the provinces' pinyin
by the same rule and are not yet seen in a published number (``attested=False``). Prefixes are
matched case-insensitively because the published numbers mix ``Zhejiang`` and ``ZheJiang``.
Shanxi (山西) and Shaanxi (陕西) follow the official romanisation that tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Province:
    key: str            # stable identifier used in URLs and the database: the pinyin prefix, lower case
    code: str | None    # GB/T 2260 six-digit code; None for the central-enterprise jurisdiction
    zh: str             # full name as in GB/T 2260 (北京市, 内蒙古自治区)
    short: str          # short name used in the published 属地 column (北京, 内蒙古)
    en: str
    prefix: str         # the prefix as printed in filing numbers
    attested: bool = False
    aliases: tuple[str, ...] = ()


CENTRAL = Province("zhongyangqiye", None, "国务院国资委（中央企业）", "国资委", "Central state-owned enterprises",
                   "ZhongYangQiYe", True, ("中央企业", "央企", "国务院国资委", "国资委"))

PROVINCES: tuple[Province, ...] = (
    Province("beijing", "110000", "北京市", "北京", "Beijing", "Beijing", True),
    Province("tianjin", "120000", "天津市", "天津", "Tianjin", "Tianjin"),
    Province("hebei", "130000", "河北省", "河北", "Hebei", "Hebei"),
    Province("shanxi", "140000", "山西省", "山西", "Shanxi", "Shanxi"),
    Province("neimenggu", "150000", "内蒙古自治区", "内蒙古", "Inner Mongolia", "Neimenggu"),
    Province("liaoning", "210000", "辽宁省", "辽宁", "Liaoning", "Liaoning"),
    Province("jilin", "220000", "吉林省", "吉林", "Jilin", "Jilin"),
    Province("heilongjiang", "230000", "黑龙江省", "黑龙江", "Heilongjiang", "Heilongjiang"),
    Province("shanghai", "310000", "上海市", "上海", "Shanghai", "Shanghai", True),
    Province("jiangsu", "320000", "江苏省", "江苏", "Jiangsu", "Jiangsu"),
    Province("zhejiang", "330000", "浙江省", "浙江", "Zhejiang", "ZheJiang", True),
    Province("anhui", "340000", "安徽省", "安徽", "Anhui", "Anhui", True),
    Province("fujian", "350000", "福建省", "福建", "Fujian", "Fujian"),
    Province("jiangxi", "360000", "江西省", "江西", "Jiangxi", "Jiangxi"),
    Province("shandong", "370000", "山东省", "山东", "Shandong", "Shandong"),
    Province("henan", "410000", "河南省", "河南", "Henan", "Henan"),
    Province("hubei", "420000", "湖北省", "湖北", "Hubei", "Hubei"),
    Province("hunan", "430000", "湖南省", "湖南", "Hunan", "Hunan"),
    Province("guangdong", "440000", "广东省", "广东", "Guangdong", "Guangdong"),
    Province("guangxi", "450000", "广西壮族自治区", "广西", "Guangxi", "Guangxi"),
    Province("hainan", "460000", "海南省", "海南", "Hainan", "Hainan"),
    Province("chongqing", "500000", "重庆市", "重庆", "Chongqing", "Chongqing"),
    Province("sichuan", "510000", "四川省", "四川", "Sichuan", "Sichuan"),
    Province("guizhou", "520000", "贵州省", "贵州", "Guizhou", "Guizhou"),
    Province("yunnan", "530000", "云南省", "云南", "Yunnan", "Yunnan"),
    Province("xizang", "540000", "西藏自治区", "西藏", "Tibet (Xizang)", "Xizang"),
    Province("shaanxi", "610000", "陕西省", "陕西", "Shaanxi", "Shaanxi"),
    Province("gansu", "620000", "甘肃省", "甘肃", "Gansu", "Gansu"),
    Province("qinghai", "630000", "青海省", "青海", "Qinghai", "Qinghai"),
    Province("ningxia", "640000", "宁夏回族自治区", "宁夏", "Ningxia", "Ningxia"),
    Province("xinjiang", "650000", "新疆维吾尔自治区", "新疆", "Xinjiang", "Xinjiang"),
)

ALL: tuple[Province, ...] = (*PROVINCES, CENTRAL)
BY_KEY: dict[str, Province] = {p.key: p for p in ALL}
_BY_PREFIX: dict[str, Province] = {p.prefix.lower(): p for p in ALL}
_BY_NAME: dict[str, Province] = {}
for _p in ALL:
    for _name in (_p.key, _p.zh, _p.short, _p.en.lower(), _p.prefix.lower(), *(_p.aliases), *(_p.code or "",)):
        if _name:
            _BY_NAME[_name] = _p


def by_prefix(prefix: str) -> Province | None:
    """The jurisdiction whose numbers start with ``prefix`` (case-insensitive)."""
    return _BY_PREFIX.get(prefix.strip().lower())


def lookup(name: str) -> Province | None:
    """A jurisdiction from anything people write in the 属地 column: 北京市, 北京, Beijing, 110000,
    国资委. None when unknown (the importer reports it rather than guessing)."""
    s = name.strip()
    return _BY_NAME.get(s) or _BY_NAME.get(s.lower())
