// Transport: see README
