"""Word lists for realistic, deterministic demo data (Chengdu, 双流区九江街道)."""

# The most common surnames in Sichuan, roughly by frequency (the first ones are picked more often).
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_MALE = "伟强磊军勇杰涛斌超明刚平辉鹏华飞鑫波宇浩凯健俊帆帅旭宁龙林洋东峰建国志文成亮鸿海晨阳瑞泽宏"
GIVEN_FEMALE = "芳娜敏静丽艳娟霞秀英华玲红梅兰琴云莉萍燕雪琳晶倩婷颖佳欣怡雨萱桂芬淑珍慧蓉丹璐瑶露洁"
ELDER_GIVEN = "德福贵荣桂秀淑素玉凤兰英芝珍华明国建"

# (name, pinyin slug, kind) — 万家社区 and 泉水社区 are named in the article; the rest are typical of the area.
COMMUNITIES = [
    ("万家社区", "wanjia", "urban"),
    ("泉水社区", "quanshui", "urban"),
    ("九江社区", "jiujiang", "urban"),
    ("龙桥社区", "longqiao", "urban"),
    ("新桥社区", "xinqiao", "urban"),
    ("马家寺社区", "majiasi", "urban"),
    ("白衣社区", "baiyi", "rural"),
    ("民主社区", "minzhu", "rural"),
    ("长乐社区", "changle", "rural"),
    ("清泉社区", "qingquan", "rural"),
]

ROADS = [
    "九江大道",
    "泉水路",
    "万家路",
    "龙桥路",
    "新桥街",
    "白衣路",
    "民主街",
    "长乐路",
    "清泉路",
    "马家寺街",
    "蛟龙路",
    "金江路",
    "锦华路",
    "双楠路",
    "文星路",
    "幸福路",
]
ESTATES = [
    "锦江花园",
    "九江新城",
    "泉水苑",
    "万家小区",
    "龙桥家园",
    "新桥公寓",
    "蓝湾国际",
    "金色港湾",
    "翡翠城",
    "和美家园",
    "阳光丽景",
    "江安苑",
    "时代广场",
    "桂花园",
    "梧桐苑",
    "芙蓉小区",
]
SHOP_WORDS = [
    "超市",
    "便利店",
    "餐馆",
    "火锅店",
    "面馆",
    "五金店",
    "药房",
    "理发店",
    "茶馆",
    "水果店",
    "干洗店",
    "快递驿站",
    "小吃店",
    "粮油店",
    "电动车行",
]
COMPANY_WORDS = ["科技", "物流", "建材", "食品", "机械", "电子", "商贸", "家具", "印务", "环保"]
SCHOOL_NAMES = ["九江小学", "泉水幼儿园", "万家实验小学", "龙桥中学", "新桥幼儿园"]
ORG_NAMES = ["老年协会", "社区卫生服务站", "志愿者协会", "社会工作服务中心", "文化活动室"]
# Places of origin of floating residents (region codes of the ID number).
FLOATING_REGIONS = ["511302", "511321", "510921", "511602", "500101", "513401", "511102", "522101", "430102", "421002"]
LOCAL_REGION = "510116"
