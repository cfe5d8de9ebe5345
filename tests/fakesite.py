"""A realistic fake Chinese government site (an education bureau), served by ``httpserver``.

It has the list-page layouts common on Chinese government and news CMSs (TRS WCM and
its kin), so the list-page, sitemap, robots and discover code is tested against them:

- ``/xwzx/`` 工作动态: dated ``<li>`` lists, ``./202511/t20251120_123.html``-style
  links in month folders, paginated ``index.html``, ``index_1.html``, … (anchors and
  a ``createPageHTML`` script), a sidebar of popular articles from other columns;
- ``/tzgg/`` 通知公告: a table of links with the date in its own cell, ``下一页`` paging;
- ``/zcwj/`` 政策文件: ``<div>`` items with a heading, a summary and a Chinese date;
  one of its articles lies under a path robots.txt disallows;
- a nav menu, breadcrumbs, a "friendly links" (友情链接) block, a footer on every page;
- ``robots.txt`` (one disallowed path, the sitemap index), a sitemap index with gzip
  children, a Google News sitemap, an RSS feed announced by ``<link rel="alternate">``.

Article pages are full Chinese news pages; every fourth one shows no date, so the date
beside its link is the only one there is. ``FakeSite.gold`` holds the expected article
links of every list page: the fixture describes its own expectations.
"""

from __future__ import annotations

import gzip
import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape

from httpserver import LocalServer, Route

SITE = "青山市教育局"
NAV = [
    ("首页", "/index.html"),
    ("机构概况", "/jggk/"),
    ("工作动态", "/xwzx/"),
    ("通知公告", "/tzgg/"),
    ("政策文件", "/zcwj/"),
    ("政务公开", "/zwgk/index.html"),
    ("互动交流", "/hdjl/"),
    ("专题专栏", "/ztzl/"),
]
FRIENDS = [
    ("中华人民共和国教育部", "http://www.moe.gov.cn/"),
    ("省教育厅", "http://jyt.example-prov.gov.cn/"),
    ("青山市人民政府", "http://www.qingshan.example.gov.cn/"),
    ("青山市人力资源和社会保障局", "http://rsj.qingshan.example.gov.cn/"),
    ("青山职业技术学院", "https://www.qszy.example.edu.cn/"),
    ("中国教育新闻网", "http://www.jyb.cn/"),
]
FOOTER = [("关于我们", "/gywm/"), ("网站地图", "/wzdt/"), ("联系我们", "/lxwm/"), ("隐私声明", "/yssm/")]
DISALLOWED = "/zcwj/nbwj/"
PAGE_SIZE = {"xwzx": 20, "tzgg": 15, "zcwj": 12}
COLUMNS = {"xwzx": "工作动态", "tzgg": "通知公告", "zcwj": "政策文件"}
TODAY = date.today()  # dates are recent, as on a live site (sitemaps are read by age)

_PLACES = ["青山区", "白河县", "东岭镇", "临江区", "石门县", "南湖街道", "凤凰山开发区", "西城区"]
_ORGS = ["市职业技术学院", "市第一中学", "青山技师学院", "市实验小学", "白河县职教中心", "市教育科学研究院"]
_TOPICS = [
    "产教融合实训基地建设",
    "职业院校技能大赛",
    "校企合作订单班",
    "中小学课后服务",
    "教师队伍建设",
    "学前教育普惠发展",
    "义务教育优质均衡",
    "现代学徒制试点",
    "数字校园建设",
    "校园安全专项整治",
    "高校毕业生就业创业",
    "劳动教育实践",
]
_ACTS = ["召开", "举办", "开展", "部署", "推进", "启动", "召开专题会议研究", "组织"]
_TAILS = ["工作会议", "现场推进会", "专项督导", "经验交流会", "培训班", "调研座谈会", "成果展示活动"]
_NOTICES = ["关于开展", "关于做好", "关于公布", "关于印发", "关于举办", "关于组织申报"]
_NOTICE_TAILS = ["工作的通知", "名单的公示", "实施方案的通知", "有关事项的通知", "评审结果的公告"]
_SENTENCES = [
    "{place}坚持把{topic}作为深化教育综合改革的重要抓手，统筹推进各项任务落地见效。",
    "会上，{org}负责同志介绍了近年来在{topic}方面的主要做法和取得的阶段性成效。",
    "今年以来，全市共投入资金{n}万元，新建改建项目{m}个，惠及学生{k}余人。",
    "与会人员实地察看了{org}的实训车间、创新工作室和产教融合展示中心。",
    "会议强调，要进一步压实工作责任，细化时间表和路线图，确保各项工作按期完成。",
    "{place}教育部门将联合人社、工信等部门，建立常态化沟通协调机制。",
    "据了解，{org}已与{n}家企业签订合作协议，共建专业{m}个，年培训技能人才{k}人次。",
    "下一步，市教育局将持续跟踪问效，及时总结推广基层好经验好做法。",
    "活动吸引了来自全市各级各类学校的{n}余名师生参加，现场气氛热烈。",
    "各县（区）教育局要高度重视，认真组织，于规定时间内报送相关材料。",
]


@dataclass(frozen=True)
class Article:
    column: str
    id: int
    day: date
    title: str
    shows_date: bool
    sub: str = ""  # a folder under the column (robots test)

    @property
    def path(self) -> str:
        sub = self.sub or f"{self.day:%Y%m}/"
        return f"/{self.column}/{sub}t{self.day:%Y%m%d}_{self.id}.html"


@dataclass
class FakeSite:
    """The site's content; ``serve`` (re)installs every route, ``publish`` adds new articles."""

    seed: int = 14
    base: str = ""  # scheme and host, for the absolute URLs of robots.txt, sitemaps and the feed
    articles: dict[str, list[Article]] = field(default_factory=dict)  # newest first

    def __post_init__(self) -> None:
        rng = random.Random(self.seed)
        self._rng = rng
        self._next_id = 1000
        for column, count in (("xwzx", 57), ("tzgg", 24), ("zcwj", 11)):
            day, items = TODAY, []
            for i in range(count):
                day -= timedelta(days=rng.choice([0, 1, 1, 2, 3]))
                items.append(self._article(column, day, i))
            self.articles[column] = items
        # One policy file lies in a folder robots.txt disallows.
        nb = self.articles["zcwj"][3]
        self.articles["zcwj"][3] = Article(nb.column, nb.id, nb.day, nb.title, nb.shows_date, sub="nbwj/")

    def _article(self, column: str, day: date, i: int) -> Article:
        rng = self._rng
        self._next_id += rng.randint(1, 40)
        topic = rng.choice(_TOPICS)
        if column == "xwzx":
            title = f"{rng.choice(_PLACES + _ORGS)}{rng.choice(_ACTS)}{topic}{rng.choice(_TAILS)}"
        else:
            title = f"{rng.choice(_NOTICES)}{day.year}年{topic}{rng.choice(_NOTICE_TAILS)}"
        return Article(column, self._next_id, day, title, shows_date=i % 4 != 1)

    def publish(self, column: str, count: int, day: date) -> list[Article]:
        """New articles at the top of a column's list (as a CMS does)."""
        new = [self._article(column, day, 0) for _ in range(count)]
        self.articles[column] = new + self.articles[column]
        return new

    # --- what the fixture expects -------------------------------------------------

    def gold(self, column: str, page: int | None = None) -> set[str]:
        """Article paths listed by a column (all pages, or one page numbered from 0)."""
        pages = self.pages(column)
        chosen = pages if page is None else [pages[page]]
        return {a.path for items in chosen for a in items}

    def pages(self, column: str) -> list[list[Article]]:
        items, size = self.articles[column], PAGE_SIZE[column]
        return [items[i : i + size] for i in range(0, len(items), size)]

    def all_articles(self) -> list[Article]:
        return [a for items in self.articles.values() for a in items]

    def list_url_paths(self) -> list[str]:
        return [_page_name(c, n) for c in COLUMNS for n in range(len(self.pages(c)))]

    # --- serving -------------------------------------------------------------------

    def files(self) -> dict[str, tuple[bytes, str]]:
        out: dict[str, tuple[bytes, str]] = {
            "/": (home(self), "text/html; charset=utf-8"),
            "/index.html": (home(self), "text/html; charset=utf-8"),
            "/robots.txt": (ROBOTS.replace("Sitemap: /", f"Sitemap: {self.base}/").encode(), "text/plain"),
            "/rss.xml": (rss(self), "application/rss+xml; charset=utf-8"),
            "/sitemap_index.xml": (sitemap_index(self), "application/xml"),
            "/news_sitemap.xml": (news_sitemap(self), "application/xml"),
        }
        for column in COLUMNS:
            pages = self.pages(column)
            for n, items in enumerate(pages):
                out[_page_name(column, n)] = (list_page(column, items, n, len(pages)), "text/html; charset=utf-8")
            out[f"/{column}/"] = out[_page_name(column, 0)]
            out[f"/sitemaps/{column}.xml.gz"] = (gzip.compress(sitemap(self, column), mtime=0), "application/x-gzip")
        for a in self.all_articles():
            out[a.path] = (article_page(a), "text/html; charset=utf-8")
        for _, path in NAV + FOOTER:
            out.setdefault(path, (plain_page(path), "text/html"))
        return out

    def serve(self, server: LocalServer) -> None:
        """Install every route; unchanged files keep their ETag, so conditional GETs get 304."""
        self.base = server.base
        for path, (body, ctype) in self.files().items():
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            old = server.routes.get(path)
            if old is not None and old.etag == etag:
                continue
            server.routes[path] = Route(body=body, headers={"Content-Type": ctype}, etag=etag)


def _page_name(column: str, n: int) -> str:
    return f"/{column}/index.html" if n == 0 else f"/{column}/index_{n}.html"


ROBOTS = f"""# robots.txt for {SITE}
User-agent: Baiduspider
Disallow:

User-agent: *
Disallow: {DISALLOWED}
Disallow: /search/

Sitemap: /sitemap_index.xml
Sitemap: /news_sitemap.xml
"""


def _head(title: str, extra: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<title>{escape(title)}</title>
<meta name="keywords" content="青山,教育,产教融合">
<link rel="stylesheet" href="/css/style.css">{extra}
<script src="/js/jquery.min.js"></script>
</head>"""


def _header() -> str:
    nav = "\n".join(f'      <li><a href="{p}" target="_self">{t}</a></li>' for t, p in NAV)
    return f"""<body>
<div class="top-bar"><div class="w1200"><span>欢迎访问{SITE}门户网站</span>
  <a href="javascript:void(0)" onclick="SetHome(this)">设为首页</a> | <a href="javascript:void(0)">加入收藏</a>
  | <a href="/wza/">无障碍浏览</a></div></div>
<div class="header"><div class="logo"><a href="/"><img src="/images/logo.png" alt="{SITE}"></a></div>
  <form action="/search/" method="get"><input name="q" placeholder="请输入关键字"><button>搜索</button></form></div>
<div class="nav"><ul class="nav-menu">
{nav}
</ul></div>"""


def _friends_and_footer() -> str:
    friends = "\n".join(f'    <li><a href="{u}" target="_blank">{t}</a></li>' for t, u in FRIENDS)
    footer = " | ".join(f'<a href="{p}">{t}</a>' for t, p in FOOTER)
    return f"""<div class="yqlj"><div class="yqlj-title">友情链接</div><ul>
{friends}
  </ul></div>
<div class="footer"><div class="footer-links">{footer}</div>
  <p>主办单位：{SITE}　地址：青山市新华路88号　邮编：415000　联系电话：0736-1234567</p>
  <p>网站标识码：4307000012　<a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05001234号</a>
  　<a href="http://www.beian.gov.cn/">湘公网安备 43070202000123号</a></p>
  <p>版权所有：{SITE}　技术支持：青山市大数据中心</p></div>
</body></html>"""


def _crumbs(column: str, tail: str = "") -> str:
    name = COLUMNS[column]
    extra = f" &gt; {tail}" if tail else ""
    return f'<div class="crumbs">当前位置：<a href="/">首页</a> &gt; <a href="/{column}/">{name}</a>{extra}</div>'


def _sidebar() -> str:
    """Links to other columns' articles and to topic pages: never the list to follow."""
    hot = [
        ("青山市2025年秋季学期中小学开学工作督导报告", "/jyxw/202509/t20250902_88.html"),
        ("市教育局召开全市教育系统安全生产工作会议", "/jyxw/202510/t20251011_90.html"),
        ("关于2025年普通高中招生录取工作的通知", "/jyxw/202507/t20250715_76.html"),
        ("全市职业教育活动周启动仪式举行", "/jyxw/202505/t20250512_61.html"),
        ("青山市教育局2024年度政府信息公开工作年度报告", "/jyxw/202501/t20250120_33.html"),
    ]
    items = "\n".join(f'      <li><a href="{p}" title="{t}">{t}</a></li>' for t, p in hot)
    topics = "\n".join(
        f'    <a href="/ztzl/{slug}/"><img src="/images/zt{n}.jpg" alt="{t}"></a>'
        for n, (t, slug) in enumerate([("学习贯彻党的二十届四中全会精神", "xxgc"), ("双减在行动", "sj")])
    )
    return f"""<div class="side">
  <div class="side-box"><h3>热点文章</h3><ul class="hot-list">
{items}
  </ul></div>
  <div class="side-box zt">
{topics}
  </div>
</div>"""


def _li(a: Article, column: str) -> str:
    rel = "./" + a.path.removeprefix(f"/{column}/")
    title = escape(a.title)
    shown = title if len(a.title) <= 28 else escape(a.title[:27]) + "…"
    return f'      <li><a href="{rel}" target="_blank" title="{title}">{shown}</a><span class="date">{a.day:%Y-%m-%d}</span></li>'


def _tr(a: Article, column: str) -> str:
    return (
        f'    <tr><td class="t-title"><a href="../{column}/{a.path.removeprefix(f"/{column}/")}">'
        f'{escape(a.title)}</a></td><td class="t-date">{a.day:%Y-%m-%d}</td></tr>'
    )


def _div(a: Article, _column: str) -> str:
    summary = f"为贯彻落实{a.title[2:12]}有关要求，现将有关事项通知如下。"
    return f"""    <div class="list-item">
      <h3><a href="{a.path}">{escape(a.title)}</a></h3>
      <p class="summary">{escape(summary)}</p>
      <p class="meta"><span>发布日期：{a.day.year}年{a.day.month}月{a.day.day}日</span></p>
    </div>"""


def _pager_xwzx(n: int, total: int) -> str:
    # TRS WCM writes its pager with a script; the anchors below it are a fallback.
    return f"""    <div class="page"><script language="JavaScript">
      var currentPage = {n};var countPage = {total};
      createPageHTML({total}, {n}, "index", "html");
    </script></div>"""


def _pager_links(column: str, n: int, total: int) -> str:
    def name(k: int) -> str:
        return "index.html" if k == 0 else f"index_{k}.html"

    parts = [f'<a href="{name(0)}">首页</a>']
    if n > 0:
        parts.append(f'<a href="{name(n - 1)}">上一页</a>')
    parts += [f'<a href="{name(k)}">{k + 1}</a>' if k != n else f"<span>{k + 1}</span>" for k in range(total)]
    if n < total - 1:
        parts.append(f'<a href="{name(n + 1)}">下一页</a>')
    parts.append(f'<a href="{name(total - 1)}">尾页</a>')
    return f'    <div class="pagination">{" ".join(parts)} 共{total}页</div>'


def list_page(column: str, items: list[Article], n: int, total: int) -> bytes:
    name = COLUMNS[column]
    if column == "xwzx":
        rows = "\n".join(_li(a, column) for a in items)
        # The list comes in groups of five, as some templates print it.
        groups = [rows.split("\n")[i : i + 5] for i in range(0, len(items), 5)]
        body = "\n".join('    <ul class="list">\n' + "\n".join(g) + "\n    </ul>" for g in groups)
        body += "\n" + _pager_xwzx(n, total) + "\n" + _pager_links(column, n, total)
    elif column == "tzgg":
        rows = "\n".join(_tr(a, column) for a in items)
        body = f"""    <table class="list-table" width="100%">
    <tr><th>标题</th><th>发布日期</th></tr>
{rows}
    </table>
{_pager_links(column, n, total)}"""
    else:
        body = "\n".join(_div(a, column) for a in items)
    return f"""{_head(f"{name}_{SITE}")}
{_header()}
<div class="main w1200">
  {_crumbs(column)}
  <div class="content-left">
    <div class="column-title"><h2>{name}</h2></div>
{body}
  </div>
{_sidebar()}
</div>
{_friends_and_footer()}""".encode()


def _paragraphs(a: Article) -> list[str]:
    rng = random.Random(a.id)
    out = []
    for _ in range(rng.randint(4, 7)):
        sents = rng.sample(_SENTENCES, 3)
        out.append(
            "".join(
                s.format(
                    place=rng.choice(_PLACES),
                    org=rng.choice(_ORGS),
                    topic=a.title[4:14] if len(a.title) > 14 else a.title,
                    n=rng.randint(10, 900),
                    m=rng.randint(2, 40),
                    k=rng.randint(100, 20000),
                )
                for s in sents
            )
        )
    return out


def article_page(a: Article) -> bytes:
    info = f"发布时间：{a.day:%Y-%m-%d} 10:{a.id % 60:02d}　" if a.shows_date else ""
    paras = "\n".join(f"      <p>　　{escape(p)}</p>" for p in _paragraphs(a))
    return f"""{_head(f"{a.title}_{COLUMNS[a.column]}_{SITE}")}
{_header()}
<div class="main w1200">
  {_crumbs(a.column, "正文")}
  <div class="article">
    <h1 class="article-title">{escape(a.title)}</h1>
    <div class="article-info">{info}来源：{SITE}　字号：<a href="javascript:doZoom(16)">大</a>
      <a href="javascript:doZoom(14)">中</a> <a href="javascript:doZoom(12)">小</a>　【<a href="javascript:window.print()">打印</a>】</div>
    <div class="TRS_Editor">
{paras}
    </div>
    <div class="editor">（责任编辑：李明）</div>
    <div class="share">分享到：<a href="#">微信</a> <a href="#">微博</a></div>
  </div>
</div>
{_friends_and_footer()}""".encode()


def home(site: FakeSite) -> bytes:
    blocks = []
    for column, name in COLUMNS.items():
        items = "\n".join(
            f'      <li><a href="{a.path}" title="{escape(a.title)}">{escape(a.title[:22])}</a>'
            f"<span>{a.day:%m-%d}</span></li>"
            for a in site.articles[column][:6]
        )
        blocks.append(
            f"""  <div class="home-box"><div class="box-title"><h3>{name}</h3>
    <a class="more" href="/{column}/index.html">更多&gt;&gt;</a></div>
    <ul>
{items}
    </ul></div>"""
        )
    extra = f'\n<link rel="alternate" type="application/rss+xml" title="{SITE} 工作动态" href="/rss.xml">'
    return f"""{_head(f"{SITE}门户网站", extra)}
{_header()}
<div class="banner"><a href="/ztzl/xxgc/"><img src="/images/banner.jpg" alt="专题"></a></div>
<div class="main w1200">
{chr(10).join(blocks)}
</div>
{_friends_and_footer()}""".encode()


def plain_page(path: str) -> bytes:
    return f"{_head(SITE)}\n{_header()}\n<div class='main'><p>{path}</p></div>\n{_friends_and_footer()}".encode()


def rss(site: FakeSite) -> bytes:
    items = "\n".join(
        f"<item><title>{escape(a.title)}</title><link>{site.base}{a.path}</link>"
        f"<pubDate>{a.day:%a, %d %b %Y} 08:00:00 +0800</pubDate><description>{escape(a.title)}</description></item>"
        for a in site.articles["xwzx"][:10]
    )
    return f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>{SITE} 工作动态</title><link>{site.base}/</link>
<description>{SITE}</description>
{items}
</channel></rss>""".encode()


def sitemap_index(site: FakeSite) -> bytes:
    entries = "\n".join(
        f"  <sitemap><loc>{site.base}/sitemaps/{c}.xml.gz</loc><lastmod>{site.articles[c][0].day:%Y-%m-%d}</lastmod></sitemap>"
        for c in ("xwzx", "tzgg")
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</sitemapindex>
""".encode()


def sitemap(site: FakeSite, column: str) -> bytes:
    entries = "\n".join(
        f"  <url><loc>{site.base}{a.path}</loc><lastmod>{a.day:%Y-%m-%d}T09:00:00+08:00</lastmod>"
        "<changefreq>never</changefreq></url>"
        for a in site.articles[column]
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{entries}
</urlset>
""".encode()


def news_sitemap(site: FakeSite) -> bytes:
    recent = sorted(site.all_articles(), key=lambda a: a.day, reverse=True)[:15]
    entries = "\n".join(
        f"""  <url><loc>{site.base}{a.path}</loc><news:news>
    <news:publication><news:name>{SITE}</news:name><news:language>zh</news:language></news:publication>
    <news:publication_date>{a.day:%Y-%m-%d}T10:00:00+08:00</news:publication_date>
    <news:title>{escape(a.title)}</news:title></news:news></url>"""
        for a in recent
        if not a.path.startswith(DISALLOWED)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{entries}
</urlset>
""".encode()
