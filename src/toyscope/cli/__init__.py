"""toyscope.cli"""
