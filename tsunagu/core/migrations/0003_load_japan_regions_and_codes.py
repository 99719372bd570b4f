"""The organisation tree of Japan (nation, 47 prefectures by JIS X 0401, a few
police stations each) and the first version of the category code tables."""

import datetime as dt

from django.db import migrations

PREFECTURES = [
    ("01", "北海道", "Hokkaido", ["札幌中央", "札幌北", "旭川中央", "函館中央"]),
    ("02", "青森県", "Aomori", ["青森", "弘前", "八戸"]),
    ("03", "岩手県", "Iwate", ["盛岡東", "盛岡西", "一関"]),
    ("04", "宮城県", "Miyagi", ["仙台中央", "仙台北", "石巻"]),
    ("05", "秋田県", "Akita", ["秋田中央", "秋田臨港", "横手"]),
    ("06", "山形県", "Yamagata", ["山形", "米沢", "鶴岡"]),
    ("07", "福島県", "Fukushima", ["福島", "郡山", "いわき中央"]),
    ("08", "茨城県", "Ibaraki", ["水戸", "つくば中央", "日立"]),
    ("09", "栃木県", "Tochigi", ["宇都宮中央", "宇都宮東", "小山"]),
    ("10", "群馬県", "Gunma", ["前橋", "高崎", "太田"]),
    ("11", "埼玉県", "Saitama", ["浦和", "大宮", "川口", "川越"]),
    ("12", "千葉県", "Chiba", ["千葉中央", "船橋", "松戸", "柏"]),
    ("13", "東京都", "Tokyo", ["丸の内", "麹町", "新宿", "渋谷", "池袋", "上野", "八王子"]),
    ("14", "神奈川県", "Kanagawa", ["加賀町", "戸部", "川崎", "相模原", "藤沢"]),
    ("15", "新潟県", "Niigata", ["新潟中央", "新潟東", "長岡"]),
    ("16", "富山県", "Toyama", ["富山中央", "高岡"]),
    ("17", "石川県", "Ishikawa", ["金沢中", "金沢東"]),
    ("18", "福井県", "Fukui", ["福井", "敦賀"]),
    ("19", "山梨県", "Yamanashi", ["甲府", "富士吉田"]),
    ("20", "長野県", "Nagano", ["長野中央", "松本"]),
    ("21", "岐阜県", "Gifu", ["岐阜中", "大垣"]),
    ("22", "静岡県", "Shizuoka", ["静岡中央", "浜松中央", "沼津"]),
    ("23", "愛知県", "Aichi", ["中", "中村", "千種", "豊橋", "岡崎"]),
    ("24", "三重県", "Mie", ["津", "四日市南"]),
    ("25", "滋賀県", "Shiga", ["大津", "草津"]),
    ("26", "京都府", "Kyoto", ["中京", "下京", "伏見"]),
    ("27", "大阪府", "Osaka", ["曽根崎", "天満", "南", "浪速", "堺", "豊中"]),
    ("28", "兵庫県", "Hyogo", ["生田", "兵庫", "姫路", "尼崎中央"]),
    ("29", "奈良県", "Nara", ["奈良", "橿原"]),
    ("30", "和歌山県", "Wakayama", ["和歌山東", "和歌山西"]),
    ("31", "鳥取県", "Tottori", ["鳥取", "米子"]),
    ("32", "島根県", "Shimane", ["松江", "出雲"]),
    ("33", "岡山県", "Okayama", ["岡山中央", "倉敷"]),
    ("34", "広島県", "Hiroshima", ["広島中央", "広島東", "福山東"]),
    ("35", "山口県", "Yamaguchi", ["山口", "下関"]),
    ("36", "徳島県", "Tokushima", ["徳島東", "徳島名西"]),
    ("37", "香川県", "Kagawa", ["高松北", "丸亀"]),
    ("38", "愛媛県", "Ehime", ["松山東", "松山南"]),
    ("39", "高知県", "Kochi", ["高知", "高知南"]),
    ("40", "福岡県", "Fukuoka", ["博多", "中央", "小倉北", "久留米"]),
    ("41", "佐賀県", "Saga", ["佐賀南", "唐津"]),
    ("42", "長崎県", "Nagasaki", ["長崎", "佐世保"]),
    ("43", "熊本県", "Kumamoto", ["熊本中央", "熊本南"]),
    ("44", "大分県", "Oita", ["大分中央", "別府"]),
    ("45", "宮崎県", "Miyazaki", ["宮崎北", "都城"]),
    ("46", "鹿児島県", "Kagoshima", ["鹿児島中央", "鹿児島西"]),
    ("47", "沖縄県", "Okinawa", ["那覇", "浦添", "沖縄"]),
]

ROMAJI = {
    "中": "Naka", "中央": "Chuo", "南": "Minami", "中村": "Nakamura", "千種": "Chikusa",
}

CODES = {
    "relationship": [
        ("partner_or_ex", "交際相手（元を含む）", "Partner or ex-partner"),
        ("spouse_or_ex", "配偶者（内縁・元を含む）", "Spouse or ex-spouse"),
        ("acquaintance", "知人友人", "Acquaintance or friend"),
        ("workplace", "勤務先同僚・職場関係", "Colleague or workplace"),
        ("stranger", "面識なし", "Stranger"),
        ("other", "その他", "Other"),
        ("unknown", "関係不明", "Unknown"),
    ],
    "rejection_reason": [
        ("sees_no_need", "受診の必要性を感じない", "Sees no need"),
        ("blames_victim", "被害者に責任があると考えている", "Blames the victim"),
        ("cost", "費用の負担", "Cost"),
        ("time", "時間がない", "No time"),
        ("distrust", "警察・医療への不信", "Distrust"),
        ("other", "その他", "Other"),
    ],
    "measure": [
        ("consultation", "相談", "Consultation"),
        ("warning", "警告", "Warning"),
        ("prohibition_order", "禁止命令", "Prohibition order"),
        ("emergency_order", "緊急禁止命令", "Emergency prohibition order"),
        ("arrest", "検挙", "Arrest"),
        ("assistance", "援助", "Assistance"),
    ],
    "arrest_kind": [
        ("stalking", "ストーカー行為罪", "Stalking offence"),
        ("order_violation", "禁止命令等違反", "Prohibition-order violation"),
        ("other", "他法令", "Other offence"),
    ],
    "sex": [
        ("male", "男性", "Male"),
        ("female", "女性", "Female"),
        ("other", "その他", "Other"),
        ("unknown", "不明", "Unknown"),
    ],
    "halt_reason": [
        ("stopped_attending", "来院しなくなった", "Stopped attending"),
        ("refused_to_continue", "継続を拒否", "Refused to continue"),
        ("moved", "転居", "Moved away"),
        ("detained", "身柄拘束", "Detained"),
        ("other", "その他", "Other"),
    ],
}
# Emergency prohibition orders without a hearing exist since June 2017.
VALID_FROM = {("measure", "emergency_order"): dt.date(2017, 6, 14)}


def load(apps, schema_editor):
    Region = apps.get_model("core", "Region")
    Code = apps.get_model("core", "Code")
    nation = Region.objects.create(code="JP", kind="nation", name_ja="日本", name_en="Japan")
    for code, ja, en, stations in PREFECTURES:
        pref = Region.objects.create(code=code, kind="prefecture", parent=nation, name_ja=ja,
                                     name_en=en)
        for i, station in enumerate(stations, start=1):
            Region.objects.create(
                code=f"{code}-{i:03d}", kind="station", parent=pref,
                # English: a known romanisation, else the Japanese name itself (see 0009).
                name_ja=f"{station}警察署",
                name_en=f"{ROMAJI[station]} Police Station" if station in ROMAJI else f"{station}警察署",
            )
    for table, rows in CODES.items():
        for sort, (code, ja, en) in enumerate(rows):
            Code.objects.create(
                table=table, code=code, label_ja=ja, label_en=en, sort=sort,
                valid_from=VALID_FROM.get((table, code), dt.date(2000, 1, 1)),
            )


def unload(apps, schema_editor):
    apps.get_model("core", "Code").objects.all().delete()
    Region = apps.get_model("core", "Region")
    Region.objects.filter(kind="station").delete()
    Region.objects.filter(kind="prefecture").delete()
    Region.objects.filter(kind="nation").delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0002_user_region_clinic_links")]
    operations = [migrations.RunPython(load, unload)]
