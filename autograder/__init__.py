"""gradlab's autograder for Lab 4.3. Kept light: workers and notebooks import
pieces of this package, so nothing heavy (TensorFlow, the checks) loads here."""
__version__ = "0.1.0"
