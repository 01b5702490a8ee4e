"""toyscope.theory"""
