#!/usr/bin/env python3
"""Generate the jointnlu demo dataset (data/demo/{train,dev,test}.json).

The data set is small, synthetic and written for this project: every template
and every value list below was written by hand for jointnlu.  The output
follows the SMP2019 ECDT task-1 JSON layout::

    [{"text": ..., "domain": ..., "intent": ..., "slots": {key: value}}, ...]

where a slot value is a string, or a list of strings when one key has several
spans in the same utterance.

Generation is fully deterministic (fixed seed, no dependence on hash order or
the environment), so running

    python3 scripts/make_demo_data.py

from the repository root rewrites byte-identical files.  Python 3 standard
library only.

Template syntax: ``{key}`` inserts a value for slot ``key`` taken from the
pool of the same name (or the intent's pool override); ``{key:pool}`` takes
it from a named pool; ``{key@1}``/``{key@2}`` (optionally with ``:pool``) are
the first/second element of a list-valued slot.  Each pool has a "seen" part
(used by every split) and an "unseen" part (used only by dev/test), so that
generalisation to new slot values can be measured.
"""

import json
import os
import random
import re
import sys

SEED = 20190815
OUT_DIR = os.path.join("data", "demo")
UNSEEN_PROB = 0.5        # dev/test: chance a slot draws from the unseen part
PREFIX_PROB = 0.12       # chance of a spoken filler in front of the utterance
PREFIXES = ["嗯，", "那个，", "你好，", "喂，", "哎，"]
MAX_TRIES = 400

# ---------------------------------------------------------------------------
# Value pools: name -> (seen values, unseen values)
# ---------------------------------------------------------------------------

POOLS = {
    "city": (
        ["北京", "上海", "广州", "深圳", "杭州", "南京", "成都", "重庆", "武汉",
         "西安", "长沙", "天津", "苏州", "郑州", "青岛", "厦门", "大连", "沈阳",
         "哈尔滨", "昆明", "济南", "合肥", "福州", "南昌", "贵阳", "兰州"],
        ["拉萨", "乌鲁木齐", "桂林", "三亚", "洛阳", "珠海", "温州", "呼和浩特"],
    ),
    "date": (
        ["今天", "明天", "后天", "大后天", "周六", "周日", "这周末", "下周一",
         "下周三", "星期五", "3月8号", "五月一号", "国庆节", "下个月5号",
         "这周三"],
        ["元旦", "12月24号", "下下周二", "星期四", "中秋节", "6月18号"],
    ),
    "time": (
        ["早上七点", "七点半", "下午三点", "晚上九点", "六点四十", "8点15分",
         "中午十二点", "上午十点", "凌晨五点半", "晚上十一点", "早上六点二十",
         "下午四点半"],
        ["傍晚六点", "九点一刻", "下午两点半", "早上八点十分", "晚上七点四十五"],
    ),
    # generic places that exist in any city
    "poi": (
        ["火车站", "汽车站", "人民医院", "万达广场", "市图书馆", "体育中心",
         "人民公园", "飞机场", "步行街", "市政府", "博物馆", "第一中学",
         "大学城", "会展中心", "科技园", "中心医院", "新华书店", "电视塔"],
        ["动物园", "海洋馆", "儿童医院", "植物园", "高铁南站"],
    ),
    # things one looks for nearby
    "poi_near": (
        ["加油站", "银行", "超市", "药店", "停车场", "地铁站", "公共厕所",
         "便利店", "肯德基", "充电桩", "菜市场", "派出所"],
        ["洗车店", "理发店", "邮局", "取款机"],
    ),
    "person": (
        ["妈妈", "爸爸", "老婆", "老公", "张伟", "王老师", "李经理", "小刘",
         "陈晓明", "赵磊", "刘洋", "奶奶", "舅舅", "杨帆", "黄主任", "老周",
         "小雪", "马丽"],
        ["孙悦", "周律师", "表哥", "何建国", "林医生"],
    ),
    "phone": None,  # filled in below with generated numbers
    "artist": (
        ["周杰伦", "王菲", "邓紫棋", "林俊杰", "陈奕迅", "孙燕姿", "李宇春",
         "张学友", "刘德华", "蔡依林", "五月天", "朴树", "许巍", "汪峰",
         "毛不易", "李健", "赵雷", "薛之谦"],
        ["张惠妹", "那英", "华晨宇", "莫文蔚", "李荣浩"],
    ),
    "song": (
        ["晴天", "稻香", "红豆", "光年之外", "江南", "十年", "遇见", "吻别",
         "忘情水", "倔强", "平凡之路", "蓝莲花", "春天里", "消愁", "成都",
         "演员", "传奇", "后来", "童话", "小幸运", "匆匆那年"],
        ["夜空中最亮的星", "南山南", "月亮代表我的心", "告白气球",
         "起风了"],
    ),
    "music_category": (
        ["流行歌曲", "摇滚", "民谣", "儿歌", "轻音乐", "古典音乐", "经典老歌",
         "粤语歌", "纯音乐", "英文歌"],
        ["爵士乐", "说唱", "钢琴曲"],
    ),
    "subfocus_precip": (["雨", "雪"], ["冰雹"]),
    "subfocus_cond": (["雾霾", "大风", "雷阵雨", "沙尘暴"], ["台风", "霜冻"]),
    "subfocus_attr": (
        ["温度", "气温", "湿度", "空气质量", "紫外线", "风力", "最高温度"],
        ["能见度", "PM2.5"],
    ),
    "dish": (
        ["红烧肉", "宫保鸡丁", "鱼香肉丝", "麻婆豆腐", "糖醋排骨", "西红柿炒鸡蛋",
         "可乐鸡翅", "水煮鱼", "回锅肉", "酸辣土豆丝", "蛋炒饭", "红烧茄子",
         "清蒸鲈鱼", "地三鲜", "京酱肉丝", "蒜蓉西兰花", "酸菜鱼", "葱油饼"],
        ["东坡肉", "梅菜扣肉", "白切鸡", "干锅花菜", "扬州炒饭"],
    ),
    "ingredient": (
        ["鸡蛋", "土豆", "排骨", "牛肉", "豆腐", "茄子", "鸡翅", "五花肉",
         "虾仁", "西兰花", "黄瓜", "羊肉", "香菇", "冬瓜", "胡萝卜"],
        ["山药", "秋葵", "莲藕", "鱿鱼"],
    ),
    "trans_content": (
        ["我爱你", "今天天气很好", "你吃饭了吗", "很高兴认识你", "这件衣服多少钱",
         "洗手间在哪里", "祝你生日快乐", "我迷路了", "谢谢你的帮助",
         "明天见", "我想喝咖啡", "请问地铁站怎么走", "苹果", "早上好",
         "我们一起去吃饭吧", "周末愉快"],
        ["我是一名学生", "能便宜一点吗", "保重身体"],
    ),
    "trans_content_en": (
        ["good morning", "thank you very much", "where are you from",
         "nice to meet you", "happy birthday", "how much is it"],
        ["see you later", "take care"],
    ),
    "trans_target": (
        ["英语", "英文", "日语", "韩语", "法语", "德语", "俄语"],
        ["西班牙语", "意大利语"],
    ),
    "trans_target_zh": (["中文", "汉语"], ["普通话"]),
    "alarm_content": (
        ["开会", "吃药", "接孩子", "交水电费", "给妈妈打电话", "去健身",
         "取快递", "喝水", "交报告", "买菜", "浇花", "赶飞机"],
        ["还信用卡", "给狗打疫苗", "看牙医"],
    ),
    "video_name": (
        ["西游记", "红楼梦", "流浪地球", "哪吒之魔童降世", "甄嬛传", "琅琊榜",
         "庆余年", "大话西游", "让子弹飞", "战狼", "人民的名义", "熊出没",
         "士兵突击", "喜羊羊与灰太狼", "疯狂动物城"],
        ["三国演义", "父母爱情", "无间道", "大闹天宫"],
    ),
    "video_category": (
        ["电影", "电视剧", "动画片", "综艺节目", "纪录片", "喜剧片", "动作片",
         "科幻片"],
        ["恐怖片", "武侠剧"],
    ),
    "tv_series": (
        ["甄嬛传", "琅琊榜", "庆余年", "人民的名义", "士兵突击", "西游记",
         "红楼梦", "熊出没", "喜羊羊与灰太狼", "花千骨"],
        ["父母爱情", "三国演义", "武林外传"],
    ),
    "actor_category": (
        ["电影", "电视剧", "喜剧片", "动作片", "影视作品"],
        ["新电影"],
    ),
    "actor": (
        ["周星驰", "成龙", "吴京", "胡歌", "孙俪", "黄渤", "沈腾", "赵丽颖",
         "杨幂", "王宝强", "刘德华", "章子怡"],
        ["徐峥", "葛优", "巩俐"],
    ),
    "news_category": (
        ["体育", "财经", "娱乐", "科技", "国际", "军事", "社会", "汽车"],
        ["教育", "房产"],
    ),
    "app": (
        ["微信", "支付宝", "淘宝", "抖音", "高德地图", "百度地图", "美团",
         "网易云音乐", "QQ音乐", "计算器", "相机", "日历", "微博", "京东",
         "手电筒", "设置"],
        ["拼多多", "哔哩哔哩", "钉钉", "备忘录"],
    ),
    "sms_content": (
        ["我晚点到", "今晚不回家吃饭了", "生日快乐", "开会改到下午了",
         "记得带钥匙", "我到楼下了", "路上注意安全", "我在开会稍后回电",
         "下班一起吃饭吧", "快递放门口了"],
        ["明天见", "文件已经发你邮箱了", "我已经出发了"],
    ),
    "dynasty": (["唐", "宋"], ["明"]),
}

# Joint pools: values that must agree with each other (a song and its singer,
# a poem with its author and dynasty, a landmark with its city).
JOINT = {
    "song_artist": (
        ("song", "artist"),
        [("晴天", "周杰伦"), ("稻香", "周杰伦"), ("红豆", "王菲"),
         ("光年之外", "邓紫棋"), ("江南", "林俊杰"), ("十年", "陈奕迅"),
         ("遇见", "孙燕姿"), ("吻别", "张学友"), ("忘情水", "刘德华"),
         ("倔强", "五月天"), ("平凡之路", "朴树"), ("蓝莲花", "许巍"),
         ("春天里", "汪峰"), ("消愁", "毛不易"), ("成都", "赵雷"),
         ("演员", "薛之谦"), ("传奇", "李健"), ("童话", "光良")],
        [("月亮代表我的心", "邓丽君"), ("听海", "张惠妹"), ("征服", "那英"),
         ("烟火里的尘埃", "华晨宇")],
    ),
    "poem": (
        ("name", "author", "dynasty"),
        [("静夜思", "李白", "唐"), ("春晓", "孟浩然", "唐"),
         ("登鹳雀楼", "王之涣", "唐"), ("悯农", "李绅", "唐"),
         ("水调歌头", "苏轼", "宋"), ("江雪", "柳宗元", "唐"),
         ("咏鹅", "骆宾王", "唐"), ("望庐山瀑布", "李白", "唐"),
         ("春望", "杜甫", "唐"), ("游子吟", "孟郊", "唐"),
         ("相思", "王维", "唐"), ("清明", "杜牧", "唐"),
         ("声声慢", "李清照", "宋"), ("示儿", "陆游", "宋"),
         ("题西林壁", "苏轼", "宋")],
        [("出塞", "王昌龄", "唐"), ("石灰吟", "于谦", "明"),
         ("元日", "王安石", "宋"), ("绝句", "杜甫", "唐")],
    ),
    "film_star": (
        ("name", "artist"),
        [("大话西游", "周星驰"), ("功夫", "周星驰"), ("战狼", "吴京"),
         ("流浪地球", "吴京"), ("琅琊榜", "胡歌"), ("甄嬛传", "孙俪"),
         ("士兵突击", "王宝强"), ("泰囧", "徐峥"), ("夏洛特烦恼", "沈腾"),
         ("花千骨", "赵丽颖"), ("无间道", "刘德华"), ("一代宗师", "章子怡"),
         ("红海行动", "黄渤")],
        [("我不是药神", "徐峥"), ("活着", "葛优"), ("大红灯笼高高挂", "巩俐")],
    ),
    "landmark": (
        ("city", "poi"),
        [("北京", "天安门"), ("北京", "故宫"), ("上海", "外滩"),
         ("上海", "东方明珠"), ("杭州", "西湖"), ("西安", "大雁塔"),
         ("西安", "钟楼"), ("成都", "宽窄巷子"), ("南京", "夫子庙"),
         ("重庆", "解放碑"), ("武汉", "黄鹤楼"), ("苏州", "拙政园"),
         ("厦门", "鼓浪屿"), ("青岛", "栈桥")],
        [("洛阳", "龙门石窟"), ("桂林", "象鼻山"), ("拉萨", "布达拉宫")],
    ),
}


def _joint_column(jname, col):
    """A plain pool made of one column of a joint pool (order kept)."""
    cols, seen, unseen = JOINT[jname]
    i = cols.index(col)
    s = list(dict.fromkeys(row[i] for row in seen))
    u = [v for v in dict.fromkeys(row[i] for row in unseen) if v not in s]
    return s, u


POOLS["poem_name"] = _joint_column("poem", "name")
POOLS["poet"] = _joint_column("poem", "author")


def _phone_numbers():
    r = random.Random(SEED + 1)
    prefixes = ["138", "139", "135", "186", "187", "150", "152", "158", "177", "199"]

    def mobile():
        return r.choice(prefixes) + "".join(r.choice("0123456789") for _ in range(8))

    seen = ["10086", "110", "120", "95588", "12345"] + [mobile() for _ in range(14)]
    unseen = ["119", "10010", "12315"] + [mobile() for _ in range(8)]
    return seen, unseen


POOLS["phone"] = _phone_numbers()

# default pool of a slot key when the template does not name one
KEY_POOL = {
    "location_city": "city", "startLoc_city": "city", "endLoc_city": "city",
    "location_poi": "poi", "startLoc_poi": "poi", "endLoc_poi": "poi",
    "datetime_date": "date", "startDate_date": "date",
    "datetime_time": "time",
    "artist": "artist", "song": "song", "dishName": "dish",
    "ingredient": "ingredient", "code": "phone", "dynasty": "dynasty",
}

# ---------------------------------------------------------------------------
# Intents: (domain, intent, pool overrides, joint pools, templates,
#           (n_train, n_dev, n_test))
# A joint pool maps template keys onto the columns of a JOINT entry.
# ---------------------------------------------------------------------------

INTENTS = [
    dict(
        domain="music", intent="PLAY", counts=(40, 5, 5),
        pools={"category": "music_category"},
        joint={"song_artist": {"song": "song", "artist": "artist"}},
        templates=[
            "我想听{artist}的{song}",
            "播放{song}",
            "来一首{artist}的歌",
            "放一首{category}",
            "给我放点{category}听听",
            "{artist}的{song}放一下",
            "播放{artist}唱的{song}",
            "随便放首歌",
            "我要听{song}这首歌",
            "先放{song@1}再放{song@2}",
            "播放一些{artist}的歌曲",
            "放首歌听听吧",
            "能不能放一下{song}",
            "听{artist}",
            "有没有{artist}的{category}",
            "切歌，换成{song}",
            "单曲循环{artist}的{song}",
            "放一首{song@1}，再来一首{song@2}",
        ],
    ),
    dict(
        domain="weather", intent="QUERY", counts=(40, 5, 5),
        pools={},
        joint={},
        templates=[
            "{location_city}{datetime_date}天气怎么样",
            "{datetime_date}天气如何",
            "{location_city}的天气",
            "{location_city}{datetime_date}会下{subfocus:subfocus_precip}吗",
            "{datetime_date}会不会下{subfocus:subfocus_precip}",
            "{datetime_date}{location_city}有{subfocus:subfocus_cond}吗",
            "{location_city}现在{subfocus:subfocus_attr}怎么样",
            "{datetime_date}{location_city}的{subfocus:subfocus_attr}是多少",
            "{location_city}{datetime_date}需要带伞吗",
            "查一下{datetime_date}的天气预报",
            "外面冷不冷",
            "天气预报说什么了",
            "{datetime_date}出门要穿外套吗",
            "{location_city@1}和{location_city@2}哪个更热",
            "对比一下{location_city@1}和{location_city@2}的天气",
            "帮我看看{location_city}{datetime_date}多少度",
            "我想知道{datetime_date}{location_city}适不适合洗车",
            "{datetime_date}{location_city@1}跟{location_city@2}哪边会下{subfocus:subfocus_precip}",
        ],
    ),
    dict(
        domain="map", intent="ROUTE", counts=(32, 4, 4),
        pools={},
        joint={"landmark": {"endLoc_city": "city", "endLoc_poi": "poi"}},
        templates=[
            "从{startLoc_poi}到{endLoc_poi}怎么走",
            "去{endLoc_poi}怎么走",
            "导航到{endLoc_poi}",
            "带我去{endLoc_poi}",
            "到{endLoc_city}{endLoc_poi}的路线",
            "我要去{endLoc_city}",
            "{startLoc_poi}到{endLoc_poi}坐地铁怎么走",
            "规划一下去{endLoc_poi}的路线",
            "开车去{endLoc_city}怎么走",
            "导航回家",
            "从这里到{endLoc_poi}要多久",
            "我在{startLoc_poi}，去{endLoc_poi}怎么坐车",
            "{endLoc_city}的{endLoc_poi}怎么去",
            "去公司走哪条路不堵",
        ],
    ),
    dict(
        domain="map", intent="POSITION", counts=(24, 3, 3),
        pools={},
        joint={"landmark": {"location_city": "city", "location_poi": "poi"}},
        templates=[
            "{location_poi}在哪",
            "{location_poi}在哪里",
            "我现在在哪",
            "附近的{location_poi:poi_near}在哪",
            "帮我找一下{location_poi}的位置",
            "{location_city}{location_poi}在什么地方",
            "定位一下{location_poi}",
            "查找最近的{location_poi:poi_near}",
            "我想知道{location_city}在哪里",
            "这附近有没有{location_poi:poi_near}",
            "告诉我我的位置",
            "{location_city}的{location_poi}在哪个位置",
        ],
    ),
    dict(
        domain="telephone", intent="DIAL", counts=(32, 4, 4),
        pools={"name": "person"},
        joint={},
        templates=[
            "打电话给{name}",
            "给{name}打个电话",
            "呼叫{name}",
            "拨打{code}",
            "帮我拨{code}",
            "拨一下{name}的电话",
            "给{name}打电话",
            "拨打{name}的手机",
            "打个电话",
            "帮我打一下{code}这个号码",
            "用手机拨{code}",
            "给{name}回个电话吧",
        ],
    ),
    dict(
        domain="telephone", intent="QUERY", counts=(20, 2, 2),
        pools={"name": "person"},
        joint={},
        templates=[
            "查一下{name}的电话号码",
            "{name}的手机号是多少",
            "我的未接来电",
            "看看通话记录",
            "最近谁给我打过电话",
            "{name}刚才打电话了吗",
            "查查{name}的号码",
            "我和{name}的通话记录",
            "{name}的电话是多少",
            "有没有{name}的来电",
        ],
    ),
    dict(
        domain="train", intent="QUERY", counts=(32, 4, 4),
        pools={},
        joint={},
        templates=[
            "{startDate_date}从{startLoc_city}到{endLoc_city}的火车票",
            "{startLoc_city}到{endLoc_city}的高铁",
            "查一下去{endLoc_city}的火车",
            "{startLoc_city}开往{endLoc_city}的动车有哪些",
            "帮我查{startDate_date}去{endLoc_city}的高铁票",
            "我想坐火车从{startLoc_city}去{endLoc_city}",
            "{startDate_date}{startLoc_city}到{endLoc_city}还有票吗",
            "火车票查询",
            "{startLoc_city}到{endLoc_city}的火车要坐多久",
            "{startDate_date}回{endLoc_city}的动车票还有吗",
            "查查{startLoc_city}去{endLoc_city}最早的一班高铁",
            "从{startLoc_city}出发去{endLoc_city}的卧铺",
        ],
    ),
    dict(
        domain="flight", intent="QUERY", counts=(28, 4, 4),
        pools={},
        joint={},
        templates=[
            "{startDate_date}从{startLoc_city}飞{endLoc_city}的航班",
            "{startLoc_city}到{endLoc_city}的机票多少钱",
            "查一下去{endLoc_city}的飞机",
            "帮我订{startDate_date}去{endLoc_city}的机票",
            "{startLoc_city}飞{endLoc_city}有哪些航班",
            "我要从{startLoc_city}坐飞机到{endLoc_city}",
            "{startDate_date}去{endLoc_city}的特价机票",
            "查询航班信息",
            "{startLoc_city}到{endLoc_city}最便宜的机票",
            "看看{startDate_date}{startLoc_city}到{endLoc_city}的航班还有没有座",
        ],
    ),
    dict(
        domain="cookbook", intent="QUERY", counts=(36, 5, 5),
        pools={},
        joint={},
        templates=[
            "{dishName}怎么做",
            "{dishName}的做法",
            "用{ingredient}能做什么菜",
            "{ingredient}怎么做好吃",
            "教我做{dishName}",
            "{dishName}需要哪些材料",
            "家里有{ingredient@1}和{ingredient@2}能做什么",
            "{dishName@1}和{dishName@2}哪个更好做",
            "我想学{dishName}",
            "怎么做{ingredient}比较嫩",
            "今晚吃什么好",
            "推荐几个家常菜",
            "{ingredient@1}炒{ingredient@2}怎么做",
            "做{dishName}要放多少盐",
            "有没有简单的{ingredient}的做法",
            "{dishName@1}、{dishName@2}这两道菜怎么做",
        ],
    ),
    dict(
        domain="translation", intent="TRANSLATION", counts=(32, 4, 4),
        pools={"content": "trans_content", "target": "trans_target"},
        joint={},
        templates=[
            "{content}用{target}怎么说",
            "把{content}翻译成{target}",
            "{content}的{target}是什么",
            "翻译{content}",
            "帮我翻译一下{content}",
            "{target}里{content}怎么讲",
            "{content}翻译成{target}",
            "请把这句话翻译成{target}",
            "用{target}说{content}",
            "{content:trans_content_en}是什么意思",
            "把{content:trans_content_en}翻成{target:trans_target_zh}",
            "{content:trans_content_en}用{target:trans_target_zh}怎么说",
        ],
    ),
    dict(
        domain="alarm", intent="CREATE", counts=(32, 4, 4),
        pools={"content": "alarm_content"},
        joint={},
        templates=[
            "{datetime_date}{datetime_time}叫我起床",
            "定一个{datetime_time}的闹钟",
            "设置{datetime_date}{datetime_time}的闹钟",
            "提醒我{datetime_time}{content}",
            "{datetime_date}{datetime_time}提醒我{content}",
            "帮我设个闹钟",
            "{datetime_time}叫醒我",
            "闹钟定在{datetime_time}",
            "{datetime_date}{datetime_time}记得提醒我{content}",
            "添加一个闹钟，{datetime_time}{content}",
            "{datetime_date}提醒我{content}",
            "明早的闹钟帮我设一下",
        ],
    ),
    dict(
        domain="video", intent="QUERY", counts=(32, 4, 4),
        pools={"name": "video_name", "category": "video_category",
               "artist": "actor"},
        joint={"film_star": {"name": "name", "artist": "artist"}},
        templates=[
            "我想看{name}",
            "播放{name}",
            "我想看{artist}演的{category:actor_category}",
            "有什么好看的{category}",
            "{artist}的{category:actor_category}有哪些",
            "{name:tv_series}更新到第几集了",
            "找一部{category}看看",
            "来点好看的",
            "给我放{artist}主演的{name}",
            "推荐几部{artist}的{category:actor_category}",
            "最近有什么热门的{category}",
            "{name}在哪里可以看",
        ],
    ),
    dict(
        domain="news", intent="PLAY", counts=(24, 3, 3),
        pools={"category": "news_category"},
        joint={},
        templates=[
            "播放{datetime_date}的{category}新闻",
            "我想听听{location_city}的新闻",
            "有什么{category}新闻",
            "来点新闻",
            "{datetime_date}有什么新闻",
            "播报一下{location_city}{datetime_date}的新闻",
            "最近有什么{category}方面的消息",
            "给我讲讲{category}新闻",
            "今天的头条是什么",
            "{location_city}最近发生了什么事",
        ],
    ),
    dict(
        domain="poetry", intent="QUERY", counts=(24, 3, 3),
        pools={"name": "poem_name", "author": "poet"},
        joint={"poem": {"name": "name", "author": "author",
                        "dynasty": "dynasty"}},
        templates=[
            "{author}的{name}",
            "背一首{author}的诗",
            "{name}的作者是谁",
            "{name}全文",
            "{dynasty}代诗人{author}写过哪些诗",
            "来一首{dynasty}诗",
            "我想听{name}",
            "{name}是谁写的",
            "给我念一首古诗",
            "朗读{dynasty}朝{author}的{name}",
            "{author}有哪些有名的诗",
        ],
    ),
    dict(
        domain="app", intent="LAUNCH", counts=(24, 3, 3),
        pools={"name": "app"},
        joint={},
        templates=[
            "打开{name}",
            "帮我打开{name}",
            "启动{name}",
            "我要用{name}",
            "打开一下{name}吧",
            "进入{name}",
            "把{name}打开",
            "运行{name}",
            "开一下{name}",
            "{name}打开",
        ],
    ),
    dict(
        domain="message", intent="SEND", counts=(28, 3, 3),
        pools={"name": "person", "content": "sms_content"},
        joint={},
        templates=[
            "给{name}发短信说{content}",
            "发消息给{name}",
            "帮我给{name}发一条短信，内容是{content}",
            "发短信告诉{name}{content}",
            "给{name}发个信息",
            "我要发短信",
            "编辑短信{content}发给{name}",
            "短信通知{name}{content}",
            "回复{name}说{content}",
            "给{name}发条短信",
        ],
    ),
]

PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)(?::([A-Za-z_]+))?(?:@([12]))?\}")


class DataError(Exception):
    pass


def parse_template(tpl):
    """Split a template into literal pieces and (key, pool, index) slots."""
    parts = []
    pos = 0
    for m in PLACEHOLDER.finditer(tpl):
        if m.start() > pos:
            parts.append(tpl[pos:m.start()])
        parts.append((m.group(1), m.group(2), int(m.group(3) or 0)))
        pos = m.end()
    if pos < len(tpl):
        parts.append(tpl[pos:])
    if "{" in "".join(p for p in parts if isinstance(p, str)):
        raise DataError("bad placeholder in template %r" % tpl)
    return parts


def pool_of(spec, key, explicit):
    if explicit:
        return explicit
    if key in spec["pools"]:
        return spec["pools"][key]
    if key in KEY_POOL:
        return KEY_POOL[key]
    raise DataError("%s/%s: no pool for slot key %r"
                    % (spec["domain"], spec["intent"], key))


def draw(rng, seen, unseen, split):
    if split != "train" and unseen and rng.random() < UNSEEN_PROB:
        return rng.choice(unseen)
    return rng.choice(seen)


def fill(rng, spec, parts, split):
    """Instantiate a parsed template; returns (text, [(key, value, start)])."""
    slots_in_tpl = [p for p in parts if not isinstance(p, str)]
    keys = {k for k, _, _ in slots_in_tpl}
    values = {}      # (key, occurrence number) -> value
    # joint pools first: a single joint row covers every key it maps
    for jname, mapping in sorted(spec["joint"].items()):
        used = [k for k in sorted(keys) if k in mapping]
        # a list-valued key cannot come from one joint row
        occ = {k: sum(1 for kk, _, _ in slots_in_tpl if kk == k) for k in used}
        if not used or any(n > 1 for n in occ.values()):
            continue
        # a key with an explicit non-default pool is not taken jointly
        if any(pool is not None for k, pool, _ in slots_in_tpl if k in used):
            continue
        if len(used) == 1 and rng.random() < 0.5:
            continue   # a lone key may also come from its own (bigger) pool
        cols, seen, unseen = JOINT[jname]
        row = draw(rng, seen, unseen, split)
        for k in used:
            values[(k, 1)] = row[cols.index(mapping[k])]
    # independent pools; all values in one utterance are distinct.  The
    # n-th occurrence of a key in the template is its n-th list element.
    counter = {}
    out_parts = []
    for p in parts:
        if isinstance(p, str):
            out_parts.append(p)
            continue
        key, pool, _idx = p
        counter[key] = counter.get(key, 0) + 1
        vk = (key, counter[key])
        if vk not in values:
            pname = pool_of(spec, key, pool)
            seen, unseen = POOLS[pname]
            for _ in range(100):
                v = draw(rng, seen, unseen, split)
                if v not in values.values():
                    break
            else:
                raise DataError("cannot draw distinct values from %s" % pname)
            values[vk] = v
        out_parts.append((key, values[vk]))
    text = ""
    spans = []
    for p in out_parts:
        if isinstance(p, str):
            text += p
        else:
            spans.append((p[0], p[1], len(text)))
            text += p[1]
    return text, spans


def locate(text, slots):
    """Locate slot values as a consumer would: keys in written order, each
    value at its leftmost occurrence not overlapping an already-taken span.
    Returns the list of (key, start, end); raises DataError on failure."""
    taken = []
    result = []
    for key, val in slots.items():
        vals = val if isinstance(val, list) else [val]
        if isinstance(val, list) and len(val) < 2:
            raise DataError("list-valued slot %r with < 2 values" % key)
        for v in vals:
            if not isinstance(v, str) or not v:
                raise DataError("slot %r has a non-string/empty value" % key)
            start = text.find(v)
            while start >= 0 and any(start < e and s < start + len(v)
                                     for s, e in taken):
                start = text.find(v, start + 1)
            if start < 0:
                raise DataError("value %r of %r not locatable in %r"
                                % (v, key, text))
            taken.append((start, start + len(v)))
            result.append((key, start, start + len(v)))
    return result


def build_record(spec, text, spans):
    slots = {}
    for key, value, _start in spans:       # spans are in text order
        if key in slots:
            prev = slots[key]
            slots[key] = (prev if isinstance(prev, list) else [prev]) + [value]
        else:
            slots[key] = value
    return {"text": text, "domain": spec["domain"], "intent": spec["intent"],
            "slots": slots}


def acceptable(text, spans, rec):
    """Strict generation-time check: every value's first occurrence in the
    text is exactly where the template put it (so any locator that takes the
    leftmost occurrence finds the intended span)."""
    for key, value, start in spans:
        if text.find(value) != start:
            return False
    located = sorted((s, e) for _k, s, e in locate(text, rec["slots"]))
    intended = sorted((s, s + len(v)) for _k, v, s in spans)
    return located == intended


def validate_text(text):
    if not (2 <= len(text) <= 40):
        raise DataError("length out of range: %r" % text)
    if text != text.strip():
        raise DataError("leading/trailing whitespace: %r" % text)
    if any(ord(c) < 32 or 0x7f <= ord(c) < 0xa0 for c in text):
        raise DataError("control character in %r" % text)


def generate():
    rng = random.Random(SEED)
    splits = {"train": [], "dev": [], "test": []}
    seen_texts = set()
    for spec in INTENTS:
        if len(spec["templates"]) < 8:
            raise DataError("%s/%s has fewer than 8 templates"
                            % (spec["domain"], spec["intent"]))
        if len(set(spec["templates"])) != len(spec["templates"]):
            raise DataError("duplicate template in %s/%s"
                            % (spec["domain"], spec["intent"]))
        parsed = [parse_template(t) for t in spec["templates"]]
        for si, split in enumerate(("train", "dev", "test")):
            n = spec["counts"][si]
            order = list(range(len(parsed)))
            rng.shuffle(order)
            for i in range(n):
                for attempt in range(MAX_TRIES):
                    if split == "train" and attempt == 0:
                        ti = order[i % len(order)]   # cover every template
                    else:
                        ti = rng.randrange(len(parsed))
                    text, spans = fill(rng, spec, parsed[ti], split)
                    if rng.random() < PREFIX_PROB:
                        pre = rng.choice(PREFIXES)
                        text = pre + text
                        spans = [(k, v, s + len(pre)) for k, v, s in spans]
                    if text in seen_texts or not (2 <= len(text) <= 40):
                        continue
                    rec = build_record(spec, text, spans)
                    if not acceptable(text, spans, rec):
                        continue
                    break
                else:
                    raise DataError("could not generate a new utterance for "
                                    "%s/%s" % (spec["domain"], spec["intent"]))
                validate_text(text)
                seen_texts.add(text)
                splits[split].append(rec)
    for split in splits:
        rng.shuffle(splits[split])
    return splits


def check(splits):
    """Fail loudly on any violation of the data-set contract."""
    train_labels = {(r["domain"], r["intent"]) for r in splits["train"]}
    texts = set()
    for split, recs in splits.items():
        for r in recs:
            if set(r) != {"text", "domain", "intent", "slots"}:
                raise DataError("bad record keys: %r" % r)
            validate_text(r["text"])
            locate(r["text"], r["slots"])
            if r["text"] in texts:
                raise DataError("duplicate text %r" % r["text"])
            texts.add(r["text"])
            if (r["domain"], r["intent"]) not in train_labels:
                raise DataError("%s label not in train: %r" % (split, r))


def slot_values(recs):
    out = set()
    for r in recs:
        for k, v in r["slots"].items():
            for x in (v if isinstance(v, list) else [v]):
                out.add((k, x))
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    os.chdir(root)
    try:
        splits = generate()
        check(splits)
    except DataError as e:
        sys.exit("make_demo_data: ERROR: %s" % e)
    os.makedirs(OUT_DIR, exist_ok=True)
    for split, recs in splits.items():
        path = os.path.join(OUT_DIR, split + ".json")
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            json.dump(recs, f, ensure_ascii=False, indent=1)
            f.write("\n")
    # summary
    train_vals = slot_values(splits["train"])
    for split, recs in splits.items():
        n_list = sum(1 for r in recs for v in r["slots"].values()
                     if isinstance(v, list))
        n_empty = sum(1 for r in recs if not r["slots"])
        unseen = slot_values(recs) - train_vals if split != "train" else set()
        print("%-5s %4d utterances, %2d list-valued slots, %3d without slots%s"
              % (split, len(recs), n_list, n_empty,
                 "" if split == "train"
                 else ", %d slot values unseen in train" % len(unseen)))
    labels = sorted({(r["domain"], r["intent"]) for r in splits["train"]})
    print("%-24s %5s %4s %4s" % ("domain/intent", "train", "dev", "test"))
    for d, i in labels:
        print("%-24s %5d %4d %4d" % (
            d + "/" + i,
            *[sum(1 for r in splits[s] if (r["domain"], r["intent"]) == (d, i))
              for s in ("train", "dev", "test")]))


if __name__ == "__main__":
    main()
