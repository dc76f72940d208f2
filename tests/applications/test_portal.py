"""The resident portal as plain HTML forms (no JavaScript): list, apply, keep the typed
answers on a mistake, get the code once, look the application up, pay."""

from __future__ import annotations

import re

import httpx

from tests.applications.flow import ANSWERS, CARD_OK, PROCEDURE_ID, RESIDENT_NAME, id_photo, staff
from tests.conftest import AppFixture


def form_data(answers: dict[str, str]) -> dict[str, str]:
    return {f"answer.{name}": value for name, value in answers.items()}


async def test_a_resident_applies_and_pays_with_plain_forms(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    home = await resident.get("/")
    assert home.status_code == 200 and 'lang="ja"' in home.text
    assert 'name="viewport"' in home.text and f'href="/apply/{PROCEDURE_ID}"' in home.text
    assert "<script" not in home.text

    page = await resident.get(f"/apply/{PROCEDURE_ID}")
    for name in ANSWERS:
        assert f'name="answer.{name}"' in page.text
    assert 'type="file"' in page.text and 'enctype="multipart/form-data"' in page.text
    assert 'value="drivers_license"' in page.text  # the identity documents to choose from

    # A mistake: the page comes back with the problem beside its field and the answers kept.
    wrong = await resident.post(
        f"/apply/{PROCEDURE_ID}",
        data={**form_data({**ANSWERS, "kana": "hanako"}), "attachment_kinds": "passport"},
        files={"attachments": ("p.png", id_photo(), "image/png")},
    )
    assert wrong.status_code == 422
    assert "全角カタカナで入力してください" in wrong.text
    assert RESIDENT_NAME in wrong.text  # what was typed is kept
    assert wrong.headers["cache-control"] == "no-store"

    done = await resident.post(
        f"/apply/{PROCEDURE_ID}",
        data={**form_data(ANSWERS), "attachment_kinds": "passport"},
        files={"attachments": ("p.png", id_photo(), "image/png")},
    )
    assert done.status_code == 201
    application_id = re.search(r'id="application-id">([^<]+)<', done.text)
    code = re.search(r'id="access-code">([^<]+)<', done.text)
    assert application_id and code
    application_id, access_code = application_id.group(1), code.group(1)
    assert access_code not in str(done.url)

    lookup = await resident.get("/applications", params={"application_id": application_id})
    assert lookup.status_code == 303
    asked = await resident.get(lookup.headers["location"])
    assert 'name="access_code"' in asked.text
    wrong_code = await resident.post(f"/applications/{application_id}", data={"access_code": "X"})
    assert wrong_code.status_code == 404 and "違います" in wrong_code.text
    status = await resident.post(
        f"/applications/{application_id}", data={"access_code": access_code.lower()}
    )
    assert status.status_code == 200 and "審査中" in status.text

    clerk, csrf = await staff(app, "clerk", "SJ")
    await clerk.post(f"/api/applications/{application_id}/accept", json={}, headers=csrf)
    status = await resident.post(
        f"/applications/{application_id}", data={"access_code": access_code}
    )
    assert "お支払い待ち" in status.text and 'value="wallet"' in status.text

    go = await resident.post(
        f"/applications/{application_id}/pay", data={"access_code": access_code, "method": "card"}
    )
    assert go.status_code == 303 and go.headers["location"].startswith(app.agent_url)
    card = await resident.post(
        go.headers["location"], data={"card_number": CARD_OK, "expiry": "12/30", "cvc": "123"}
    )
    back = await resident.get(card.headers["location"])
    assert "お支払いが完了しました" in back.text
    assert CARD_OK not in back.text


async def test_a_returned_application_is_corrected_on_its_page(
    app: AppFixture, resident: httpx.AsyncClient
) -> None:
    done = await resident.post(
        f"/apply/{PROCEDURE_ID}",
        data={**form_data(ANSWERS), "attachment_kinds": "passport"},
        files={"attachments": ("p.png", id_photo(), "image/png")},
    )
    application_id = re.search(r'id="application-id">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    code = re.search(r'id="access-code">([^<]+)<', done.text).group(1)  # type: ignore[union-attr]
    clerk, csrf = await staff(app, "clerk", "SJ")
    await clerk.post(
        f"/api/applications/{application_id}/return", json={"reason": "通数を確認"}, headers=csrf
    )
    page = await resident.post(f"/applications/{application_id}", data={"access_code": code})
    assert "補正依頼中" in page.text and "通数を確認" in page.text
    assert RESIDENT_NAME in page.text  # the form is filled with the answers given
    fixed = await resident.post(
        f"/applications/{application_id}/resubmit",
        data={"access_code": code, **form_data({**ANSWERS, "copies": "2"})},
    )
    assert (
        fixed.status_code == 200
        and "再提出を受け付けました" in fixed.text
        and "審査中" in fixed.text
    )
