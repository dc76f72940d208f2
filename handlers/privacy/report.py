"""`madoguchi privacy-report`: the privacy council's view of the live deployment (Markdown).

Pure rendering from facts gathered by the command: retention of each store against policy,
key-encryption keys and their ages, the zone map, the password policy, per-org counts of
personal-data reads, exports and refusals in the period, and the audit chain's verdict.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from handlers.audit.chain import Verdict
from handlers.shared.wareki import period
from schemas.settings import Settings


@dataclass(frozen=True)
class StoreFact:
    name: str
    kind: str  # stream, kv, object
    personal: bool
    policy_seconds: float  # 0: no limit
    actual_seconds: float


@dataclass(frozen=True)
class KeyFact:
    kek_id: str
    created: datetime | None
    current: bool
    data_keys: int


def render(
    *,
    now: datetime,
    since: datetime,
    settings: Settings,
    stores: list[StoreFact],
    keys: list[KeyFact],
    access: Counter[tuple[str, str]],
    verdict: Verdict,
) -> str:
    lines = [
        "# 個人情報保護に関する運用報告 (madoguchi privacy report)",
        "",
        f"- 作成日時: {now:%Y-%m-%d %H:%M} UTC",
        f"- 対象期間: {since:%Y-%m-%d %H:%M} 〜 {now:%Y-%m-%d %H:%M} UTC",
        "",
        "## 1. 保存期間（ポリシーと実設定）",
        "",
        "| 保存先 | 種類 | 個人情報 | ポリシー | 実設定 | 判定 |",
        "|---|---|---|---|---|---|",
    ]
    for s in stores:
        ok = abs(s.policy_seconds - s.actual_seconds) < 1
        lines.append(
            f"| {s.name} | {s.kind} | {'あり' if s.personal else 'なし'} | "
            f"{period(s.policy_seconds)} | {period(s.actual_seconds)} | "
            f"{'適合' if ok else '**不一致**'} |"
        )
    lines += [
        "",
        "## 2. 暗号化（鍵の世代）",
        "",
        "個人情報は記録ごとのデータ鍵（AES-256-GCM）で暗号化され、データ鍵は鍵暗号鍵で包まれて"
        "記録と同じ保存期間の鍵バケットに置かれます。",
        "",
        "| 鍵暗号鍵 | 作成 | 経過日数 | 現行 | 包んでいるデータ鍵 |",
        "|---|---|---|---|---|",
    ]
    for k in keys:
        age = f"{(now - k.created).days}" if k.created else "不明"
        created = f"{k.created:%Y-%m-%d}" if k.created else "不明"
        lines.append(
            f"| {k.kek_id} | {created} | {age} | {'○' if k.current else ''} | {k.data_keys} |"
        )
    z = settings.zones_in_force
    lines += ["", "## 3. ネットワーク区分", ""]
    if settings.zones is None:
        lines += [
            "**注意: 区分が設定されていません（[zones] なし）。組み込みの既定値で動いています。"
            "この機械自身（ループバック）を住民情報系（SJ）とみなし、他のアドレスは区分なしです。"
            "運用前に [zones] で庁内ネットワークの範囲を設定してください。**",
            "",
        ]
    lines += [
        "| 区分 | アドレス範囲 |",
        "|---|---|",
        f"| SA（内部事務系） | {', '.join(map(str, z.SA)) or '（未設定）'} |",
        f"| SJ（住民情報系） | {', '.join(map(str, z.SJ)) or '（未設定）'} |",
        f"| MN（マイナンバー系） | {', '.join(map(str, z.MN)) or '（未設定）'} |",
    ]
    p = settings.password
    lines += [
        "",
        "## 4. パスワード方針",
        "",
        f"- 最小文字数: {p.min_length}",
        f"- 有効期限: {p.expiry_days}日",
        f"- ロックまでの失敗回数: {p.lockout_attempts}",
        "- 推測されやすい語・ログインID・所属名・市の名前を含むものは不可、直近5回の再利用不可",
    ]
    lines += [
        "",
        "## 5. 所属別の記録（対象期間）",
        "",
        "| 所属 | 個人情報の閲覧 | 書き出し | 拒否 | サインイン失敗 |",
        "|---|---|---|---|---|",
    ]
    for org in sorted({org for org, _ in access}):
        c = [access[(org, kind)] for kind in ("pi_read", "exported", "refused", "sign_in_failed")]
        lines.append(f"| {org} | {c[0]} | {c[1]} | {c[2]} | {c[3]} |")
    if not access:
        lines.append("| （記録なし） | 0 | 0 | 0 | 0 |")
    lines += ["", "## 6. 監査記録の検証", ""]
    if verdict.ok:
        counts = f"{verdict.entries} 件、署名付きチェックポイント {verdict.checkpoints} 件"
        lines.append(f"検証済み: {counts}。改ざんなし。")
    else:
        lines.append(f"**検証失敗**: {verdict.problem}")
    return "\n".join(lines) + "\n"
