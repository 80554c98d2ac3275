from urllib.parse import urlsplit


def route_of(url):
    return urlsplit(url).path
