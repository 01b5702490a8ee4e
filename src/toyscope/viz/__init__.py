"""toyscope.viz"""
