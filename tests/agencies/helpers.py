import re

ROW_LINK = re.compile(r'<a href="/keluarga/(\d+)/\?kembali=')


def listed_ids(response) -> list[int]:
    """Household ids of the list's rows, in order."""
    assert response.status_code == 200, response.status_code
    return [int(pk) for pk in ROW_LINK.findall(response.content.decode())]
