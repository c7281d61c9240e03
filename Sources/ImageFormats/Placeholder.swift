// ImageFormats: see README
