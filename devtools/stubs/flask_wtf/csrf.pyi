from werkzeug.exceptions import BadRequest

def generate_csrf(secret_key: str | None = None, token_key: str | None = None) -> str: ...
def validate_csrf(
    data: str | bytes | None,
    secret_key: str | None = None,
    time_limit: int | None = None,
    token_key: str | None = None,
) -> None: ...

class CSRFError(BadRequest):
    description: str
