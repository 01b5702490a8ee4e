"""toyscope.bench"""
