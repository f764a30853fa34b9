def greet(reader: str) -> str:
    """Included where a chapter names this file."""
    return f"Hello, {reader}!"
