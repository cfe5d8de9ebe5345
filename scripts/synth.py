"""Seeded synthetic corpus of Chinese regional news with known duplicate groups.

Sentences are put together from pools of subjects, adverbs, verbs, objects and figures
on a handful of themes, so two articles on one theme share vocabulary and stock phrases
(the look-alike negatives) without sharing sentences. A share of the articles is
reprinted as a duplicate group:

- repost: punctuation width flipped, a breadcrumb, editor/share chrome and a link-farm line;
- excerpt: the first two thirds of the body with a word or two changed and a new title;
- edit: light edits all through (a sentence dropped, figures and words changed).

Look-alikes are generated deliberately too: a second article on the same theme about the
same college, city and company. ``corpus(n, seed)`` returns documents and, per document,
its group (documents of one group are duplicates; every other pair is not).

    .venv/bin/python scripts/synth.py 20 --seed 7   # print a few documents
"""

from __future__ import annotations

import argparse
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta

CITIES = [
    "金华",
    "杭州",
    "宁波",
    "温州",
    "绍兴",
    "嘉兴",
    "湖州",
    "台州",
    "衢州",
    "丽水",
    "苏州",
    "无锡",
    "常州",
    "南通",
    "扬州",
    "徐州",
    "合肥",
    "芜湖",
    "蚌埠",
    "福州",
    "厦门",
    "泉州",
    "南昌",
    "赣州",
    "济南",
    "青岛",
    "烟台",
    "潍坊",
    "郑州",
    "洛阳",
    "武汉",
    "宜昌",
    "襄阳",
    "长沙",
    "株洲",
    "湘潭",
    "广州",
    "深圳",
    "佛山",
    "东莞",
    "南宁",
    "柳州",
    "成都",
    "绵阳",
    "重庆",
    "贵阳",
    "昆明",
    "西安",
    "宝鸡",
    "兰州",
    "金昌",
    "西宁",
    "银川",
    "大连",
    "沈阳",
    "长春",
    "哈尔滨",
    "太原",
    "石家庄",
    "唐山",
]
COLLEGE_KINDS = [
    "技师学院",
    "职业技术学院",
    "高级技工学校",
    "职业学院",
    "工程技术学校",
    "交通技师学院",
    "工业职业技术学院",
]
COMPANY_HEADS = ["华", "中", "远", "新", "恒", "瑞", "宏", "金", "鼎", "科", "天", "正", "永", "盛", "东", "博"]
COMPANY_TAILS = [
    "精密机械",
    "汽车零部件",
    "新能源科技",
    "智能装备",
    "电子信息",
    "生物医药",
    "纺织印染",
    "光伏材料",
    "数控机床",
    "物流供应链",
    "食品加工",
    "建筑工程",
    "机器人",
    "储能技术",
    "半导体",
    "模具制造",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文斌晨晓宇欣怡浩然子涵一鸣思远海燕春梅志强"
MAJORS = [
    "数控加工",
    "工业机器人",
    "新能源汽车检测与维修",
    "智能制造",
    "电气自动化",
    "模具设计",
    "焊接加工",
    "物联网应用",
    "电子商务",
    "烹饪工艺",
    "幼儿教育",
    "护理",
    "无人机应用",
    "跨境电商",
    "大数据技术",
    "轨道交通运营",
]
OUTLETS = [
    "浙江日报",
    "金华日报",
    "钱江晚报",
    "中国教育报",
    "工人日报",
    "中国劳动保障报",
    "大众日报",
    "南方日报",
    "湖北日报",
    "四川日报",
    "新华网",
    "人民网",
    "央广网",
    "中国青年报",
    "经济日报",
    "光明日报",
    "法治日报",
    "农民日报",
]

THEMES: dict[str, dict[str, list[str]]] = {
    "产教融合": {
        "obj": [
            "产教融合",
            "校企合作",
            "订单班培养",
            "现代学徒制",
            "产业学院建设",
            "实训基地共建",
            "双师型教师队伍",
            "专业群与产业链对接",
            "市域产教联合体",
            "行业产教融合共同体",
            "工学一体化课程",
            "企业新型学徒制",
            "校企联合招生",
            "课程标准开发",
            "技能人才供需对接",
            "教学工厂改造",
        ],
        "noun": ["合作协议", "人才培养方案", "实训设备", "教学标准", "岗位需求清单", "校企对接会", "联合攻关项目"],
    },
    "技能大赛": {
        "obj": [
            "技能大赛",
            "世界技能大赛集训",
            "职业技能竞赛",
            "以赛促学",
            "以赛促教",
            "选手梯队建设",
            "竞赛成果转化",
            "技能等级认定",
            "工匠精神培育",
            "大师工作室建设",
            "技能人才评价改革",
            "特级技师评聘",
        ],
        "noun": ["金牌", "一等奖", "集训基地", "竞赛项目", "裁判团队", "技能证书", "国家集训队名额"],
    },
    "区域经济": {
        "obj": [
            "产业集群",
            "规上工业增加值",
            "招商引资",
            "营商环境优化",
            "数字经济发展",
            "先进制造业基地",
            "县域经济",
            "产业链招商",
            "专精特新企业培育",
            "园区提质扩容",
            "项目落地见效",
            "科技成果转化",
        ],
        "noun": ["签约项目", "税收贡献", "亩均效益", "产值", "投资额", "重点项目清单", "产业基金"],
    },
    "就业服务": {
        "obj": [
            "高校毕业生就业",
            "技能培训",
            "稳岗扩岗",
            "零工市场建设",
            "职业指导",
            "创业担保贷款",
            "就业见习",
            "农民工技能提升",
            "返乡创业",
            "公共就业服务",
            "人岗精准匹配",
            "终身职业技能培训",
        ],
        "noun": ["招聘岗位", "培训补贴", "见习岗位", "就业驿站", "创业孵化基地", "培训课时", "求职登记"],
    },
}
ADVERBS = [
    "积极",
    "持续",
    "深入",
    "大力",
    "全面",
    "扎实",
    "稳步",
    "不断",
    "着力",
    "率先",
    "加快",
    "主动",
    "创新",
    "系统",
]
VERBS = ["推进", "探索", "深化", "打造", "完善", "落实", "拓展", "构建", "强化", "优化", "实施", "提升", "开展", "做实"]
LINKS = [
    "为此",
    "与此同时",
    "据介绍",
    "记者了解到",
    "数据显示",
    "截至目前",
    "下一步",
    "在此基础上",
    "近年来",
    "今年以来",
    "据悉",
    "值得一提的是",
    "另一方面",
    "从实际效果看",
]
UNITS = [
    "家企业",
    "名学生",
    "个专业",
    "项成果",
    "个项目",
    "名教师",
    "个岗位",
    "人次",
    "万元",
    "亿元",
    "个基地",
    "门课程",
]
ENDS = [
    "取得明显成效",
    "形成了可复制的经验",
    "得到企业广泛认可",
    "为区域发展提供了有力支撑",
    "受到社会各界关注",
    "走出了一条特色发展之路",
    "实现了多方共赢",
    "跑出了加速度",
    "注入了新动能",
    "交出了亮眼成绩单",
]
WIDTH = {",": "，", ":": "：", ";": "；", "?": "？", "!": "！", "(": "（", ")": "）"}
SPAM = [
    "【推荐】最新优惠活动 点击进入 www.{x}88.cn 注册即送",
    "友情链接：{x}娱乐 {x}彩票 {x}棋牌 官网入口",
    "热门搜索：{x}代理 {x}下载 {x}平台 免费领取",
]


@dataclass(frozen=True)
class Entities:
    theme: str
    city: str
    college: str
    company: str
    people: tuple[str, ...]


@dataclass(frozen=True)
class Synthetic:
    name: str
    group: int  # documents of one group are duplicates of each other
    kind: str  # original | lookalike | repost | excerpt | edit
    outlet: str
    published: date
    title: str
    body: tuple[str, ...]  # paragraphs

    def text(self) -> str:
        head = [self.title, f"来源：{self.outlet}  发布时间：{self.published.isoformat()}"]
        return "\n\n".join(head + list(self.body)) + "\n"


def _entities(rng: random.Random, theme: str | None = None) -> Entities:
    city = rng.choice(CITIES)
    company = f"{city}{rng.choice(COMPANY_HEADS)}{rng.choice(COMPANY_HEADS)}{rng.choice(COMPANY_TAILS)}有限公司"
    people = tuple(rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN]) for _ in range(3))
    return Entities(theme or rng.choice(list(THEMES)), city, f"{city}{rng.choice(COLLEGE_KINDS)}", company, people)


def _clause(rng: random.Random, ent: Entities) -> str:
    pool = THEMES[ent.theme]
    subject = rng.choice(
        [ent.college, ent.city + "市", ent.company, "学校", "当地", "该校", "企业", ent.college + "相关负责人"]
    )
    pick = rng.random()
    if pick < 0.35:
        return f"{subject}{rng.choice(ADVERBS)}{rng.choice(VERBS)}{rng.choice(pool['obj'])}"
    if pick < 0.6:
        return f"累计{rng.choice(VERBS)}{rng.choice(pool['noun'])}{rng.randint(2, 980)}{rng.choice(UNITS)}"
    if pick < 0.8:
        return f"围绕{rng.choice(MAJORS)}等专业{rng.choice(VERBS)}{rng.choice(pool['obj'])}"
    return f"{rng.choice(LINKS)}，{rng.choice(pool['obj'])}{rng.choice(ENDS)}"


def _sentence(rng: random.Random, ent: Entities) -> str:
    if rng.random() < 0.15:
        person = rng.choice(ent.people)
        return f"“{_clause(rng, ent)}，{_clause(rng, ent)}。”{person}说。"
    return "，".join(_clause(rng, ent) for _ in range(rng.randint(2, 4))) + "。"


def _body(rng: random.Random, ent: Entities) -> tuple[str, ...]:
    paras = []
    for _ in range(rng.randint(6, 10)):
        paras.append("".join(_sentence(rng, ent) for _ in range(rng.randint(2, 4))))
    return tuple(paras)


def _title(rng: random.Random, ent: Entities) -> str:
    obj = rng.choice(THEMES[ent.theme]["obj"])
    return rng.choice(
        [
            f"{ent.college}：{rng.choice(VERBS)}{obj} {rng.choice(ENDS)}",
            f"{ent.city}{rng.choice(ADVERBS)}{rng.choice(VERBS)}{obj}",
            f"{obj}{rng.choice(ENDS)}——{ent.college}的探索",
        ]
    )


def _flip_width(text: str, rng: random.Random) -> str:
    table = str.maketrans(WIDTH) if rng.random() < 0.5 else str.maketrans({v: k for k, v in WIDTH.items()})
    return text.translate(table)


def _edit_words(text: str, rng: random.Random, count: int) -> str:
    for _ in range(count):
        a, b = rng.sample(VERBS, 2)
        text = text.replace(a, b, 1)
    return text


def repost(rng: random.Random, art: Synthetic, name: str, day: date) -> Synthetic:
    body = [_flip_width(p, rng) for p in art.body]
    x = rng.choice(["金沙", "皇冠", "澳门", "永利", "新葡京"])
    body = [
        "当前位置：首页 > 新闻中心 > 正文",
        *body,
        rng.choice(SPAM).format(x=x),
        f"（责任编辑：{rng.choice(SURNAMES)}{rng.choice(GIVEN)}）",
        "分享到：微信 微博 QQ空间",
    ]
    return Synthetic(name, art.group, "repost", rng.choice(OUTLETS), day, _flip_width(art.title, rng), tuple(body))


def excerpt(rng: random.Random, art: Synthetic, name: str, day: date) -> Synthetic:
    text = "".join(art.body)
    cut = text[: len(text) * 2 // 3]
    cut = cut[: cut.rfind("。") + 1] or cut
    cut = _edit_words(cut, rng, 2)
    paras = [p for p in re.split(r"(?<=[。！？]”)|(?<=[。！？])(?!”)", cut) if p]
    size = max(1, len(paras) // 4)
    body = tuple("".join(paras[i : i + size]) for i in range(0, len(paras), size))
    return Synthetic(name, art.group, "excerpt", rng.choice(OUTLETS), day, f"{art.title[:12]}（摘编）", body)


def edit(rng: random.Random, art: Synthetic, name: str, day: date) -> Synthetic:
    body = list(art.body)
    drop = rng.randrange(len(body))
    sentences = body[drop].split("。")
    body[drop] = "。".join(s for i, s in enumerate(sentences) if i != 1 or len(sentences) < 3)
    body = [_edit_words(p, rng, 1) for p in body]
    return Synthetic(name, art.group, "edit", rng.choice(OUTLETS), day, art.title, tuple(p for p in body if p))


def corpus(n: int, seed: int = 1, start: date = date(2025, 5, 1)) -> list[Synthetic]:
    """``n`` documents in a seeded arrival order: about 55% originals, 10% look-alikes of
    them, 35% duplicates (reposts, excerpts, edits) published 0-10 days after their original."""
    rng = random.Random(seed)
    out: list[Synthetic] = []
    group = 0
    while len(out) < n:
        ent = _entities(rng)
        day = start + timedelta(days=rng.randrange(45))
        orig = Synthetic(
            f"s{len(out):06d}", group, "original", rng.choice(OUTLETS), day, _title(rng, ent), _body(rng, ent)
        )
        out.append(orig)
        group += 1
        if rng.random() < 0.18 and len(out) < n:  # a look-alike: same theme, college, city, company
            twin = Entities(ent.theme, ent.city, ent.college, ent.company, ent.people)
            out.append(
                Synthetic(
                    f"s{len(out):06d}",
                    group,
                    "lookalike",
                    rng.choice(OUTLETS),
                    day,
                    _title(rng, twin),
                    _body(rng, twin),
                )
            )
            group += 1
        for make in rng.choices([repost, excerpt, edit], k=rng.choice([0, 0, 1, 1, 2, 3])):
            if len(out) < n:
                out.append(make(rng, orig, f"s{len(out):06d}", day + timedelta(days=rng.randrange(11))))
    rng.shuffle(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("n", type=int, nargs="?", default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for doc in corpus(args.n, args.seed):
        print(f"===== {doc.name} group={doc.group} kind={doc.kind}\n{doc.text()}")


if __name__ == "__main__":
    main()
