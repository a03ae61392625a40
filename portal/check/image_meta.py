"""placeholder"""


def inspect_image(raw):
    return []
