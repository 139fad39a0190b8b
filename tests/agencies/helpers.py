import re
from html import unescape

ROW_LINK = re.compile(r'<a href="/keluarga/(\d+)/\?kembali=')


def listed_ids(response) -> list[int]:
    """Household ids of the list's rows, in order."""
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ROW_LINK.findall(response.content.decode())]


def deliver_form(html: str, enrollment, **typed) -> dict:
    """The POST data of the delivery form of ``enrollment`` on the household page ``html``, as the
    browser sends it: every input the page holds (hidden ones included) with ``typed`` filled in."""
    form = html.split(f'action="/kepesertaan/{enrollment.pk}/salurkan/"', 1)[1].split("</form>", 1)[0]
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = re.search(r'value="([^"]*)"', tag)
        data[name] = unescape(value.group(1)) if value else ""
    data.pop("csrfmiddlewaretoken", None)
    return {**data, **typed}


def deliver(client, enrollment, **typed):
    """Open the household page, type ``typed`` into ``enrollment``'s delivery form and save it, as a
    user does (the form carries what the page showed of earlier deliveries)."""
    page = client.get(f"/keluarga/{enrollment.household_id}/").content.decode()
    return client.post(f"/kepesertaan/{enrollment.pk}/salurkan/", deliver_form(page, enrollment, **typed), follow=True)
