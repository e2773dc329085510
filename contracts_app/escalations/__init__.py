"""Escalations between the sides: the ladder, the ball, deadlines that climb by themselves."""
