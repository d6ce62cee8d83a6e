"""Private implementation of jaxinit; import the public names from :mod:`jaxinit`."""
