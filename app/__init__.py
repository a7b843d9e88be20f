"""BatchLab: code texts in a spreadsheet with a language model through the providers' batch APIs."""

__version__ = "0.1.0"
