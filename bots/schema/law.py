"""Rules the procedures' laws set, registered by name (see :mod:`bots.schema.rules`).

* 児童手当法 (October 2024 reform): a 児童 counts until the first 31 March on or after the
  day they reach 18; the allowance is paid into an account in the 請求者's own name; one
  請求者 per application; a 児童 is younger than the parents by a plausible gap.
* 介護保険法: 第1号被保険者 are 65 and over; 第2号 (40–64) are certified only for one of
  the 16 特定疾病 and are in a health insurance; 更新 can be applied for from 60 days
  before the current certification ends.
* 母子保健法 第15条 (妊娠の届出): the 出産予定日 lies after the 届出日, within a pregnancy's
  length, and agrees with the 妊娠週数.

Ages are counted as 年齢計算ニ関スル法律 does (:func:`bots.schema.rules.age_on`).
"""

from __future__ import annotations

from datetime import date, timedelta

from bots.schema.rules import Facts, Rule, add_years, age_on, as_paths, register, years_between
from bots.transforms.kana import kana_compare_key


def reaching_day(birth: date, age: int) -> date:
    """The day one reaches ``age``: the day before the birthday (年齢計算ニ関スル法律)."""
    return add_years(birth, age) - timedelta(days=1)


def first_march_31_from(day: date) -> date:
    """The first 31 March on or after ``day``."""
    this_year = date(day.year, 3, 31)
    return this_year if day <= this_year else date(day.year + 1, 3, 31)


def _wareki_day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@register
class ChildAgeLimit(Rule):
    """``{rule: child_age_limit, children: children, birth: birth_date, at: claim_date, age: 18}``

    児童手当: each 児童 counts until the first 31 March on or after the day they reach 18
    (高校生年代まで), on the date of the claim. Also: no 児童 is born after that date.
    """

    name = "child_age_limit"
    paths = ("children", "at")
    entry_paths = {"birth": ("children",)}
    children: str
    birth: str
    at: str
    age: int = 18
    benefit: str = "児童手当"  # 児童扶養手当 has the same limit and says its own name

    def check(self, facts: Facts) -> None:
        on = facts.date(self.at)
        if on is None:
            return
        for entry in facts.entries(self.children):
            path = f"{entry}.{self.birth}"
            birth = facts.date(path)
            if birth is None:
                continue
            if birth > on:
                facts.problem(
                    path,
                    f"{facts.label(self.at)}（{on.isoformat()}）より後に生まれた日付です（{birth.isoformat()}）",
                )
                continue
            limit = first_march_31_from(reaching_day(birth, self.age))
            if on > limit:
                facts.problem(
                    path,
                    f"{self.age}歳に達した後の最初の3月31日（{_wareki_day(limit)}）を過ぎているため"
                    f"{self.benefit}の対象ではありません（生年月日 {birth.isoformat()}）",
                )


def _holder_key(text: str) -> str:
    """Kana for comparing account names: full-width, no spaces, small kana as large.

    Banks keep 口座名義 in large kana (全銀: ｷﾖｳｺ for キョウコ), so ャ/ヤ must compare equal.
    """
    small = str.maketrans("ァィゥェォッャュョヮヵヶ", "アイウエオツヤユヨワカケ")
    return kana_compare_key(text).translate(small)


@register
class AccountHolderIsClaimant(Rule):
    """``{rule: account_holder_is_claimant, holder: bank.holder_kana, claimant: applicant.kana}``

    児童手当 is paid into an account in the 請求者's own name: the 口座名義 must be the
    請求者's フリガナ (compared as kana: width, spaces and small kana do not matter).
    """

    name = "account_holder_is_claimant"
    paths = ("holder", "claimant")
    holder: str
    claimant: str

    def check(self, facts: Facts) -> None:
        holder, claimant = facts.value(self.holder), facts.value(self.claimant)
        if not holder or not claimant:
            return
        if _holder_key(str(holder)) != _holder_key(str(claimant)):
            owner = self.claimant.rsplit(".", 1)[0] if "." in self.claimant else self.claimant
            facts.problem(
                self.holder,
                f"{facts.label(owner)}本人の名義の口座にしてください"
                f"（口座名義「{facts.shown(self.holder)}」、{facts.label(self.claimant)}「{claimant}」）",
            )


@register
class ParentChildAgeGap(Rule):
    """``{rule: parent_child_age_gap, parents: [applicant.birth_date, spouse.birth_date],
    children: children, birth: birth_date, min_years: 15, max_years: 60}``

    Each 児童 is younger than each parent by at least ``min_years`` and (for a 児童 whose
    ``relation`` is one of ``relations``, e.g. 子 — a 孫 may be far younger) at most
    ``max_years`` full years: anything else is a mistyped date or a wrong person.
    """

    name = "parent_child_age_gap"
    paths = ("parents", "children")
    entry_paths = {"birth": ("children",), "relation": ("children",)}
    parents: list[str]
    children: str
    birth: str
    min_years: int = 15
    max_years: int = 60
    relation: str | None = None
    relations: list[str] | None = None

    def _max_applies(self, facts: Facts, entry: str) -> bool:
        if self.relation is None or self.relations is None:
            return True
        return facts.value(f"{entry}.{self.relation}") in self.relations

    def check(self, facts: Facts) -> None:
        for parent in as_paths(self.parents):
            parent_birth = facts.date(parent)
            if parent_birth is None:
                continue
            who = facts.label(parent)
            for entry in facts.entries(self.children):
                path = f"{entry}.{self.birth}"
                birth = facts.date(path)
                if birth is None:
                    continue
                if birth <= parent_birth:
                    facts.problem(
                        path,
                        f"{who}（{parent_birth.isoformat()}）より前に生まれた日付です（{birth.isoformat()}）",
                    )
                    continue
                gap = years_between(parent_birth, birth)
                too_old = gap > self.max_years and self._max_applies(facts, entry)
                if gap < self.min_years or too_old:
                    facts.problem(
                        path,
                        f"{who}（{parent_birth.isoformat()}）との年齢差が{gap}歳です"
                        f"（{self.min_years}〜{self.max_years}歳の差を想定）。生年月日を確認してください",
                    )


@register
class OneClaimant(Rule):
    """``{rule: one_claimant, claimant: applicant, spouse: spouse, children: children,
    kana: kana, birth: birth_date}``

    One 請求者 per application: the 請求者 is not listed again as 配偶者 or 児童, and the
    配偶者 not again as a 児童 (same フリガナ and 生年月日). A 児童 listed twice is
    ``distinct_entries``' business.
    """

    name = "one_claimant"
    paths = ("claimant", "spouse", "children")
    entry_paths = {
        "kana": ("claimant", "spouse", "children"),
        "birth": ("claimant", "spouse", "children"),
    }
    claimant: str
    spouse: str | None = None
    children: str | None = None
    kana: str = "kana"
    birth: str = "birth_date"

    def _person(self, facts: Facts, prefix: str) -> tuple[str, str] | None:
        kana, birth = facts.value(f"{prefix}.{self.kana}"), facts.value(f"{prefix}.{self.birth}")
        if not kana or not birth:
            return None
        return kana_compare_key(str(kana)), str(birth)

    def check(self, facts: Facts) -> None:
        claimant = self._person(facts, self.claimant)
        others = [self.spouse] if self.spouse else []
        children = facts.entries(self.children) if self.children else []
        parents: dict[tuple[str, str], str] = {}
        if claimant is not None:
            parents[claimant] = self.claimant
        for prefix in [*others, *children]:
            person = self._person(facts, prefix)
            if person is None:
                continue
            if person in parents:
                facts.problem(
                    prefix,
                    f"{facts.label(parents[person])}と同じ人です（フリガナ・生年月日が一致）。"
                    "請求者は1申請に1人です",
                )
            elif prefix in others:
                parents[person] = prefix


@register
class KaigoInsuredAge(Rule):
    """``{rule: kaigo_insured_age, birth: insured.birth_date, at: application_date,
    insurer: medical_insurance.insurer_no, disease: specified_disease}``

    65 and over: 第1号被保険者. 40–64: 第2号, certified only when the need comes from one of
    the 16 特定疾病 and with their health insurance given. Under 40: not insured.
    """

    name = "kaigo_insured_age"
    paths = ("birth", "at", "insurer", "disease")
    birth: str
    at: str
    insurer: str
    disease: str

    def check(self, facts: Facts) -> None:
        birth, on = facts.date(self.birth), facts.date(self.at)
        if birth is None or on is None:
            return
        age = age_on(birth, on)
        if age >= 65:
            return
        if age < 40:
            facts.problem(
                self.birth,
                f"{facts.label(self.at)}（{on.isoformat()}）時点で{age}歳です。"
                "40歳未満は介護保険の被保険者ではありません",
            )
            return
        for path, what in ((self.disease, "特定疾病"), (self.insurer, "医療保険の保険者番号")):
            if not facts.present(path):
                facts.problem(
                    path,
                    f"第2号被保険者（{age}歳）の申請には{what}が必要です"
                    "（特定疾病による介護が必要な場合に限り認定されます）",
                )


@register
class KaigoRenewalWindow(Rule):
    """``{rule: kaigo_renewal_window, kubun: kubun, renewal: 更新,
    valid_until: previous_valid_until, at: application_date, days_before: 60}``

    A 更新 application is made from ``days_before`` days before the current certification
    ends until its last day; after that it is a new application (新規).
    """

    name = "kaigo_renewal_window"
    paths = ("kubun", "valid_until", "at")
    kubun: str
    renewal: str = "更新"
    valid_until: str
    at: str
    days_before: int = 60

    def check(self, facts: Facts) -> None:
        if facts.value(self.kubun) != self.renewal:
            return
        until, on = facts.date(self.valid_until), facts.date(self.at)
        if until is None or on is None:
            return
        if on > until:
            facts.problem(
                self.valid_until,
                f"有効期間（{until.isoformat()}まで）が{facts.label(self.at)}（{on.isoformat()}）より前に"
                "終わっています。更新ではなく新規の申請です",
            )
        elif on < until - timedelta(days=self.days_before):
            facts.problem(
                self.at,
                f"更新の申請は有効期間の満了日（{until.isoformat()}）の{self.days_before}日前から"
                f"できます（{on.isoformat()}）",
            )


#: 負担限度額認定の預貯金等の上限 (令和3年8月から): 段階 → (単身, 配偶者がいるときの夫婦の合計)
ASSET_LIMITS: dict[str, tuple[int, int]] = {
    "第1段階": (10_000_000, 20_000_000),
    "第2段階": (6_500_000, 16_500_000),
    "第3段階①": (5_500_000, 15_500_000),
    "第3段階②": (5_000_000, 15_000_000),
}
#: 第2号被保険者 (40–64歳) have one limit whatever their 段階
SECOND_INSURED_LIMIT = (10_000_000, 20_000_000)


def _man_yen(amount: int) -> str:
    return f"{amount // 10_000:,}万円" if amount % 10_000 == 0 else f"{amount:,}円"


@register
class KaigoAssetLimit(Rule):
    """``{rule: kaigo_asset_limit, stage: stage, savings: savings, spouse_savings:
    spouse.savings, birth: insured.birth_date, at: application_date}``

    介護保険負担限度額認定: the 預貯金等 may not exceed the limit of the applicant's 段階
    (単身), or, with a 配偶者, the two together may not exceed the couple's limit. 第2号
    被保険者 (under 65 on the application date) have the 1,000万円 / 2,000万円 limit.
    ``limits`` may be given to follow a later revision (段階 → [単身, 夫婦]).
    """

    name = "kaigo_asset_limit"
    paths = ("stage", "savings", "spouse_savings", "birth", "at")
    stage: str
    savings: str
    spouse_savings: str
    birth: str
    at: str
    limits: dict[str, tuple[int, int]] = ASSET_LIMITS

    def _limit(self, facts: Facts) -> tuple[str, tuple[int, int]] | None:
        birth, on = facts.date(self.birth), facts.date(self.at)
        if birth is not None and on is not None and 40 <= age_on(birth, on) < 65:
            return "第2号被保険者", SECOND_INSURED_LIMIT
        stage = facts.value(self.stage)
        if stage in self.limits:
            return str(stage), self.limits[str(stage)]
        return None

    def check(self, facts: Facts) -> None:
        own, spouse = facts.value(self.savings), facts.value(self.spouse_savings)
        found = self._limit(facts)
        if own in (None, "") or found is None:
            return
        who, (single, couple) = found
        if spouse in (None, ""):
            if int(own) > single:
                facts.problem(
                    self.savings,
                    f"{who}の預貯金等の上限（単身 {_man_yen(single)}）を超えています"
                    f"（{int(own):,}円）。負担限度額認定の対象ではありません",
                )
            return
        total = int(own) + int(spouse)
        if total > couple:
            facts.problem(
                self.savings,
                f"{who}の預貯金等の上限（配偶者と合わせて {_man_yen(couple)}）を超えています"
                f"（本人 {int(own):,}円 ＋ 配偶者 {int(spouse):,}円 ＝ {total:,}円）。"
                "負担限度額認定の対象ではありません",
            )


@register
class BoshiDueDate(Rule):
    """``{rule: boshi_due_date, notified: notification_date, due: due_date, weeks: weeks,
    tolerance_days: 21}``

    The 出産予定日 lies after the 届出日 and at most 42 weeks after it, and agrees with
    the 妊娠週数 (about 40 weeks from the start of the pregnancy) within the tolerance.
    """

    name = "boshi_due_date"
    paths = ("notified", "due", "weeks")
    notified: str
    due: str
    weeks: str
    tolerance_days: int = 21

    def check(self, facts: Facts) -> None:
        notified, due = facts.date(self.notified), facts.date(self.due)
        if notified is None or due is None:
            return
        if due <= notified:
            facts.problem(
                self.due,
                f"{facts.label(self.notified)}（{notified.isoformat()}）より後の日付にしてください（{due.isoformat()}）",
            )
            return
        if (due - notified).days > 42 * 7:
            facts.problem(
                self.due,
                f"{facts.label(self.notified)}（{notified.isoformat()}）から42週を超えています（{due.isoformat()}）",
            )
            return
        weeks = facts.value(self.weeks)
        if isinstance(weeks, int):
            expected = notified + timedelta(days=(40 - weeks) * 7)
            if abs((due - expected).days) > self.tolerance_days:
                facts.problem(
                    self.due,
                    f"{facts.label(self.weeks)}（{weeks}週）から見た出産予定日（{expected.isoformat()}頃）と"
                    f"{abs((due - expected).days)}日離れています（{due.isoformat()}）",
                )
