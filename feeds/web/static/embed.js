/* placeholder: the widget lands in the next commit */
