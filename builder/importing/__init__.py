"""Import: other tools' book folders -> a book folder (the stages of `builder import`)."""
